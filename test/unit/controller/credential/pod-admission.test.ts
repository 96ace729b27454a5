// Pod admission as every replica does it: MutatingAdmissionPolicies found and removed by label and
// owner, not by what one process remembers (finding 8); the webhook's targets the same on every
// replica, leader or not (finding 2).
import { describe, expect, it } from "@jest/globals";
import type { PodAdmission } from "../../../../src/api/v1alpha1.js";
import { FakeCluster } from "../../../fakes/kube/fake-cluster.js";
import { clusterCredential, fakeEcr, registryCredential } from "../fixtures.js";
import { operatorNamespace, operatorProcess } from "../operator-process.js";

const viaPolicy: PodAdmission = { enabled: true, mechanism: "AdmissionPolicy" };
const viaWebhook: PodAdmission = { enabled: true, mechanism: "Webhook" };

/** A cluster where a first leader made a MutatingAdmissionPolicy for RegistryCredential team-a/pull. */
async function policyMadeByAnotherLeader() {
  const cluster = new FakeCluster();
  cluster.addNamespace("team-a");
  cluster.applyRegistryCredential(registryCredential("team-a", "pull", { podAdmission: viaPolicy }));
  const ecr = fakeEcr();
  const ambient = { aws: ecr.aws, ambientIdentityAllowed: () => true };
  await operatorProcess(cluster, ambient).syncRegistryCredential("team-a", "pull");
  expect(cluster.policies.items.size).toBe(1);
  // The first leader goes away; the next one starts with the cluster as it is.
  cluster.restart();
  return { cluster, next: operatorProcess(cluster, ambient) };
}

describe("a MutatingAdmissionPolicy another leader made", () => {
  it.each<[string, (cluster: FakeCluster) => void]>([
    ["its resource is deleted", (c) => c.deleteRegistryCredential("team-a", "pull")],
    [
      "its resource opts out",
      (c) =>
        c.applyRegistryCredential(registryCredential("team-a", "pull", { podAdmission: { enabled: false } })),
    ],
    [
      "its resource switches to the webhook",
      (c) => c.applyRegistryCredential(registryCredential("team-a", "pull", { podAdmission: viaWebhook })),
    ],
    [
      "its resource's finalizer is removed by hand",
      (c) => c.stripFinalizers("RegistryCredential", "team-a", "pull"),
    ],
  ])("is removed with its bindings when %s", async (_change, change) => {
    const { cluster, next } = await policyMadeByAnotherLeader();
    change(cluster);
    await next.syncRegistryCredential("team-a", "pull");
    expect([...cluster.policies.items.keys()]).toEqual([]);
    expect([...cluster.bindings.items.keys()]).toEqual([]);
  });

  it("is removed at the start of leadership when its resource went away while no controller ran", async () => {
    const { cluster, next } = await policyMadeByAnotherLeader();
    cluster.stripFinalizers("RegistryCredential", "team-a", "pull");
    cluster.applyRegistryCredential(registryCredential("team-a", "other", { podAdmission: viaPolicy }));
    await next.syncRegistryCredential("team-a", "other");
    const { liveOwnerLookup } = await import("../../../../src/controller/runtime/live-owners.js");
    const removed = await next.podAdmission.removeOrphans(
      liveOwnerLookup({
        credentials: cluster.rcInformer,
        clusterCredentials: cluster.crcInformer,
        secrets: cluster.secretInformer,
        serviceAccounts: cluster.accountInformer,
      }),
    );
    expect(removed).toHaveLength(1);
    expect(cluster.policies.items.size).toBe(1);
    expect([...cluster.policies.items.values()][0]?.metadata.annotations?.["regcred.dev/owner"]).toBe(
      "RegistryCredential/team-a/other",
    );
  });
});

describe("the webhook's targets", () => {
  it("are the same on a replica that never reconciled as on the leader", async () => {
    const cluster = new FakeCluster();
    cluster.addNamespace(operatorNamespace);
    cluster.addNamespace("team-a", { team: "yes" });
    cluster.applyRegistryCredential(
      registryCredential(operatorNamespace, "pull", { podAdmission: viaWebhook }),
    );
    cluster.applyClusterCredential(clusterCredential("platform", { podAdmission: viaWebhook }));
    const leader = operatorProcess(cluster, { aws: fakeEcr().aws });
    const follower = operatorProcess(cluster);
    await leader.syncRegistryCredential(operatorNamespace, "pull");
    await leader.syncClusterCredential("platform");
    for (const namespace of [operatorNamespace, "team-a"]) {
      expect(await follower.targets.secretsFor(namespace)).toEqual(
        await leader.targets.secretsFor(namespace),
      );
    }
    expect(await follower.targets.secretsFor(operatorNamespace)).toEqual(["pull"]);
    expect(await follower.targets.secretsFor("team-a")).toEqual(["platform"]);
  });

  it("cover a namespace created a moment ago, before any sync saw it", async () => {
    const cluster = new FakeCluster();
    cluster.applyClusterCredential(clusterCredential("platform", { podAdmission: viaWebhook }));
    const replica = operatorProcess(cluster);
    cluster.addNamespace("brand-new", { team: "yes" });
    expect(await replica.targets.secretsFor("brand-new")).toEqual(["platform"]);
    expect(await replica.targets.secretsFor("unselected")).toEqual([]);
  });

  it.each<[string, (cluster: FakeCluster) => void, string]>([
    [
      "a RegistryCredential whose Secret name is taken by someone else",
      (c) => {
        c.putForeignSecret({ metadata: { name: "pull", namespace: operatorNamespace }, data: {} });
        c.applyRegistryCredential(
          registryCredential(operatorNamespace, "pull", { podAdmission: viaWebhook }),
        );
      },
      operatorNamespace,
    ],
    [
      "a RegistryCredential that opted for the admission policy",
      (c) =>
        c.applyRegistryCredential(registryCredential(operatorNamespace, "pull", { podAdmission: viaPolicy })),
      operatorNamespace,
    ],
    [
      "a ClusterRegistryCredential being deleted",
      (c) => {
        c.applyClusterCredential(clusterCredential("platform", { podAdmission: viaWebhook }));
        c.deleteClusterCredential("platform");
      },
      "team-a",
    ],
  ])("leave out %s", async (_what, setUp, namespace) => {
    const cluster = new FakeCluster();
    cluster.addNamespace(operatorNamespace);
    cluster.addNamespace("team-a", { team: "yes" });
    setUp(cluster);
    const replica = operatorProcess(cluster, { aws: fakeEcr().aws });
    await replica.syncRegistryCredential(operatorNamespace, "pull").catch(() => undefined);
    expect(await replica.targets.secretsFor(namespace)).toEqual([]);
  });
});

describe("the PodAdmission condition", () => {
  const conditionOf = (cluster: FakeCluster, namespace: string) =>
    cluster.registryCredentials.get(namespace, "pull")?.status?.conditions;

  it.each<[string, string, PodAdmission, string | undefined, Record<string, string>]>([
    [
      "says pods get the Secret through the policy",
      "team-a",
      viaPolicy,
      undefined,
      { status: "True", reason: "Applied" },
    ],
    [
      "says pods get the Secret through the webhook",
      "team-a",
      viaWebhook,
      undefined,
      { status: "True", reason: "Applied" },
    ],
    [
      "says the cluster serves no admission policies, while Ready stays True",
      "team-a",
      viaPolicy,
      "this cluster serves no MutatingAdmissionPolicy API",
      { status: "False", reason: "PodAdmissionUnavailable" },
    ],
    [
      "says the webhook never sees pods of the operator's namespace",
      operatorNamespace,
      viaWebhook,
      undefined,
      { status: "False", reason: "PodAdmissionUnavailable" },
    ],
  ])("%s", async (_case, namespace, podAdmission, unavailable, expected) => {
    const cluster = new FakeCluster();
    cluster.addNamespace(namespace);
    cluster.applyRegistryCredential(registryCredential(namespace, "pull", { podAdmission }));
    const process = operatorProcess(cluster, {
      aws: fakeEcr().aws,
      ambientIdentityAllowed: () => true,
      ...(unavailable ? { admissionPoliciesUnavailable: unavailable } : {}),
    });
    await process.syncRegistryCredential(namespace, "pull");
    const conditions = conditionOf(cluster, namespace);
    expect(conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    const condition = conditions?.find((c) => c.type === "PodAdmission");
    expect(condition).toMatchObject(expected);
    if (expected.status === "False") expect(cluster.events.map((e) => e.reason)).toContain(expected.reason);
  });

  it("says why the policy could not be written, quoting the apiserver, while Ready stays True", async () => {
    const cluster = new FakeCluster();
    cluster.addNamespace("team-a");
    cluster.refuseWrites(
      "MutatingAdmissionPolicy",
      403,
      "Forbidden",
      "mutatingadmissionpolicies is forbidden",
    );
    cluster.applyRegistryCredential(registryCredential("team-a", "pull", { podAdmission: viaPolicy }));
    const process = operatorProcess(cluster, { aws: fakeEcr().aws, ambientIdentityAllowed: () => true });
    await process.syncRegistryCredential("team-a", "pull");
    const conditions = conditionOf(cluster, "team-a");
    expect(conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    const condition = conditions?.find((c) => c.type === "PodAdmission");
    expect(condition).toMatchObject({ status: "False", reason: "PodAdmissionFailed" });
    expect(condition?.message).toContain("mutatingadmissionpolicies is forbidden");
    expect(cluster.events.map((e) => e.reason)).toContain("PodAdmissionFailed");
  });

  it("is removed once the resource no longer asks for pod admission", async () => {
    const cluster = new FakeCluster();
    cluster.addNamespace("team-a");
    cluster.applyRegistryCredential(registryCredential("team-a", "pull", { podAdmission: viaPolicy }));
    const process = operatorProcess(cluster, { aws: fakeEcr().aws, ambientIdentityAllowed: () => true });
    await process.syncRegistryCredential("team-a", "pull");
    cluster.applyRegistryCredential(registryCredential("team-a", "pull"));
    await process.syncRegistryCredential("team-a", "pull");
    expect(conditionOf(cluster, "team-a")?.map((c) => c.type)).toEqual(["Ready"]);
  });
});
