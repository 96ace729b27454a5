import { describe, expect, it } from "@jest/globals";
import type { GarSource } from "../../../../src/api/v1alpha1.js";
import { validateGarSource } from "../../../../src/providers/gar/validate.js";
import { garSpec, poolAudience, targetAccount } from "./fixtures.js";

describe("validateGarSource", () => {
  it.each<[string, GarSource]>([
    ["an Artifact Registry host in a region", garSpec({ registries: ["europe-west1-docker.pkg.dev"] })],
    ["an Artifact Registry host in a multi-region", garSpec({ registries: ["us-docker.pkg.dev"] })],
    [
      "every Container Registry host",
      garSpec({ registries: ["gcr.io", "us.gcr.io", "eu.gcr.io", "asia.gcr.io"] }),
    ],
    [
      "a Secret reference with a custom key",
      garSpec({ auth: { secretRef: { name: "gcp", key: "key.json" } } }),
    ],
    [
      "a ServiceAccount reference with a workload identity provider audience",
      garSpec({ auth: { serviceAccountRef: { name: "puller", audience: poolAudience } } }),
    ],
    [
      "impersonation with a delegate",
      garSpec({
        impersonate: {
          serviceAccount: targetAccount,
          delegates: ["hop@other-project.iam.gserviceaccount.com"],
        },
      }),
    ],
  ])("accepts %s", (_name, spec) => {
    expect(validateGarSource(spec)).toEqual([]);
  });

  it.each<[string, GarSource, string]>([
    ["no registries", garSpec({ registries: [] }), "registries must list at least one registry host"],
    ["a Docker Hub host", garSpec({ registries: ["docker.io"] }), 'registry "docker.io" is neither'],
    ["an https URL", garSpec({ registries: ["https://gcr.io"] }), "must be a bare host name"],
    [
      "a host with a path",
      garSpec({ registries: ["europe-west1-docker.pkg.dev/proj/repo"] }),
      "bare host name",
    ],
    ["an upper-case host", garSpec({ registries: ["EU.GCR.IO"] }), "must be written in lower case"],
    ["an unknown GCR region", garSpec({ registries: ["au.gcr.io"] }), 'registry "au.gcr.io" is neither'],
    ["a location with an underscore", garSpec({ registries: ["europe_west1-docker.pkg.dev"] }), "is neither"],
    ["the same host twice", garSpec({ registries: ["gcr.io", "gcr.io"] }), "listed more than once"],
    ["an empty auth block", garSpec({ auth: {} }), "exactly one of secretRef or serviceAccountRef"],
    [
      "both a Secret and a ServiceAccount",
      garSpec({
        auth: { secretRef: { name: "gcp" }, serviceAccountRef: { name: "puller", audience: poolAudience } },
      }),
      "exactly one of secretRef or serviceAccountRef",
    ],
    [
      "a Secret key with a slash",
      garSpec({ auth: { secretRef: { name: "gcp", key: "a/b" } } }),
      "is not a valid Secret key",
    ],
    [
      "an audience with an https scheme",
      garSpec({ auth: { serviceAccountRef: { name: "puller", audience: `https:${poolAudience}` } } }),
      "must be a workload identity provider",
    ],
    [
      "an audience of a pool without a provider",
      garSpec({
        auth: {
          serviceAccountRef: {
            name: "puller",
            audience: "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p",
          },
        },
      }),
      "must be a workload identity provider",
    ],
    [
      "impersonation of a user account",
      garSpec({ impersonate: { serviceAccount: "someone@example.com" } }),
      "must be a service account e-mail ending in .gserviceaccount.com",
    ],
    [
      "a delegate that is not an e-mail",
      garSpec({ impersonate: { serviceAccount: targetAccount, delegates: ["projects/-"] } }),
      "impersonate.delegates entry",
    ],
  ])("rejects %s", (_name, spec, expected) => {
    const problems = validateGarSource(spec);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });

  it("reports every problem of a source at once", () => {
    const spec = garSpec({ registries: ["docker.io"], auth: {}, impersonate: { serviceAccount: "x" } });
    expect(validateGarSource(spec)).toHaveLength(3);
  });
});
