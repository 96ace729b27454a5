// A ClusterRegistryCredential never fans out the operator's own Google access token unless the
// operator was started to allow it: its gar sources on ambient identity impersonate a reader. Finding 3.
import { describe, expect, it } from "@jest/globals";
import { FakeCluster } from "../../../fakes/kube/fake-cluster.js";
import { clusterCredential } from "../fixtures.js";
import { operatorProcess } from "../operator-process.js";

describe("a ClusterRegistryCredential with a gar source on the operator's identity", () => {
  it("without impersonate is Forbidden, says what to do, and writes no Secret", async () => {
    const cluster = new FakeCluster();
    cluster.addNamespace("team-a", { team: "yes" });
    cluster.applyClusterCredential(
      clusterCredential("gar-pull", { sources: [{ gar: { registries: ["europe-west1-docker.pkg.dev"] } }] }),
    );
    await operatorProcess(cluster).syncClusterCredential("gar-pull");
    const ready = cluster.clusterCredentials
      .get(undefined, "gar-pull")
      ?.status?.conditions?.find((c) => c.type === "Ready");
    expect(ready).toMatchObject({ status: "False", reason: "Forbidden" });
    expect(ready?.message).toContain("impersonate.serviceAccount");
    expect(cluster.secrets.get("team-a", "gar-pull")).toBeUndefined();
  });
});
