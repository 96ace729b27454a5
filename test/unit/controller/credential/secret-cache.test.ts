// Which labelled Secrets the operator caches: only ones that may be its own, so tenants cannot grow
// its memory without bound by creating Secrets that carry its label. Finding 13.
import { describe, expect, it } from "@jest/globals";
import type { V1Secret } from "@kubernetes/client-node";
import { maxCachedSecretBytes, worthCaching } from "../../../../src/controller/runtime/informers.js";
import { annotations, managedByLabel, managedByValue } from "../../../../src/secrets/ownership.js";
import { FakeCluster } from "../../../fakes/kube/fake-cluster.js";
import { clusterCredential, registryCredential } from "../fixtures.js";

const cluster = new FakeCluster();
const rc = cluster.applyRegistryCredential(
  registryCredential("team-a", "pull", { secret: { name: "pull-secret" } }),
);
const crc = cluster.applyClusterCredential(clusterCredential("platform"));
const keep = worthCaching({ credentials: cluster.rcInformer, clusterCredentials: cluster.crcInformer });

function labelled(
  namespace: string,
  name: string,
  owner: string,
  uid: string | undefined,
  data = "e30=",
): V1Secret {
  return {
    metadata: {
      namespace,
      name,
      labels: { [managedByLabel]: managedByValue },
      annotations: { [annotations.owner]: owner, ...(uid ? { [annotations.ownerUid]: uid } : {}) },
    },
    data: { ".dockerconfigjson": data },
  };
}

const rcUid = rc.metadata.uid as string;
const crcUid = crc.metadata.uid as string;

describe("a labelled Secret is cached", () => {
  it.each<[string, V1Secret]>([
    [
      "when it is a RegistryCredential's, in its namespace",
      labelled("team-a", "pull-secret", "RegistryCredential/team-a/pull", rcUid),
    ],
    [
      "when it is a ClusterRegistryCredential's, in any namespace",
      labelled("team-z", "platform", "ClusterRegistryCredential/platform", crcUid),
    ],
  ])("%s", (_case, secret) => {
    expect(keep(secret)).toBe(true);
  });
});

describe("a labelled Secret is not cached", () => {
  it.each<[string, V1Secret]>([
    [
      "when it names no owner uid",
      labelled("team-a", "pull-secret", "RegistryCredential/team-a/pull", undefined),
    ],
    [
      "when its owner does not exist",
      labelled("team-a", "pull-secret", "RegistryCredential/team-a/gone", rcUid),
    ],
    [
      "when the owner's uid differs (an earlier resource of that name)",
      labelled("team-a", "pull-secret", "RegistryCredential/team-a/pull", "old-uid"),
    ],
    [
      "when it is in another namespace than the RegistryCredential",
      labelled("team-b", "pull-secret", "RegistryCredential/team-a/pull", rcUid),
    ],
    [
      "when its name is not the RegistryCredential's Secret name",
      labelled("team-a", "extra-1", "RegistryCredential/team-a/pull", rcUid),
    ],
    [
      "when its name is not the ClusterRegistryCredential's Secret name",
      labelled("team-z", "extra-1", "ClusterRegistryCredential/platform", crcUid),
    ],
    [
      "when its owner annotation is malformed",
      labelled("team-a", "pull-secret", "RegistryCredential/pull", rcUid),
    ],
    [
      "when it weighs more than the cache allows",
      labelled(
        "team-a",
        "pull-secret",
        "RegistryCredential/team-a/pull",
        rcUid,
        "A".repeat(maxCachedSecretBytes + 1),
      ),
    ],
  ])("%s", (_case, secret) => {
    expect(keep(secret)).toBe(false);
  });
});
