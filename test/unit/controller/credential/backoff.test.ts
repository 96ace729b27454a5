// A failing credential is retried with backoff (5 s, 10 s, ... 5 min): cluster events about other
// objects, or about objects it selects, never run it (and its cloud calls) early. Finding 5.
import { afterEach, describe, expect, it } from "@jest/globals";
import { FakeCluster } from "../../../fakes/kube/fake-cluster.js";
import { clusterCredential, fakeEcr, registryCredential } from "../fixtures.js";
import { operatorNamespace, operatorProcess } from "../operator-process.js";

type Controller = { start(): void; stop(): Promise<void>; queue: { idle(): Promise<void> } };
const running: Controller[] = [];
afterEach(async () => {
  for (const controller of running.splice(0)) await controller.stop();
});

/** Starts the controller, waits for its first (failing) syncs, applies `events`, and returns ECR's calls. */
async function mintsAfter(controller: Controller, ecr: ReturnType<typeof fakeEcr>, events: (() => void)[]) {
  running.push(controller);
  controller.start();
  await controller.queue.idle();
  const before = ecr.mints;
  for (const event of events) {
    event();
    await controller.queue.idle();
  }
  return { before, after: ecr.mints };
}

const times = (n: number, make: (i: number) => () => void) => Array.from({ length: n }, (_, i) => make(i));

describe("a failing ClusterRegistryCredential", () => {
  function failing() {
    const cluster = new FakeCluster();
    for (const ns of ["team-a", "ci-1"]) cluster.addNamespace(ns);
    cluster.applyClusterCredential(
      clusterCredential("platform", {
        namespaces: { names: ["team-a"] },
        serviceAccounts: { names: ["default"] },
      }),
    );
    const ecr = fakeEcr();
    ecr.fail("eu-west-1");
    return {
      cluster,
      ecr,
      controller: operatorProcess(cluster, { aws: ecr.aws }).clusterCredentialController(),
    };
  }

  it.each<[string, (cluster: FakeCluster) => (i: number) => () => void]>([
    [
      "ServiceAccounts created in a namespace it does not select",
      (c) => (i) => () => c.addServiceAccount("ci-1", `job-${i}`),
    ],
    ["namespaces created that it does not select", (c) => (i) => () => c.addNamespace(`ci-run-${i}`)],
    [
      "ServiceAccounts it does not select, in a namespace it selects",
      (c) => (i) => () => c.addServiceAccount("team-a", `job-${i}`),
    ],
    [
      "the ServiceAccount it selects, updated again and again",
      (c) => (i) => () => c.addServiceAccount("team-a", "default", { round: String(i) }),
    ],
    [
      "a namespace it selects, relabelled again and again",
      (c) => (i) => () => c.addNamespace("team-a", { round: String(i) }),
    ],
  ])("is not run early by 30 events: %s", async (_events, event) => {
    const { cluster, ecr, controller } = failing();
    const { before, after } = await mintsAfter(controller, ecr, times(30, event(cluster)));
    expect(before).toBeGreaterThan(0);
    expect(after).toBe(before);
  });
});

describe("a failing RegistryCredential", () => {
  function failing() {
    const cluster = new FakeCluster();
    cluster.addNamespace(operatorNamespace);
    cluster.applyRegistryCredential(
      registryCredential(operatorNamespace, "pull", { serviceAccounts: { names: ["default"] } }),
    );
    const ecr = fakeEcr();
    ecr.fail("eu-west-1");
    return {
      cluster,
      ecr,
      controller: operatorProcess(cluster, { aws: ecr.aws }).registryCredentialController(),
    };
  }

  it.each<[string, (cluster: FakeCluster) => (i: number) => () => void]>([
    [
      "ServiceAccounts it does not select, in its namespace",
      (c) => (i) => () => c.addServiceAccount(operatorNamespace, `job-${i}`),
    ],
    [
      "the ServiceAccount it selects, updated again and again",
      (c) => (i) => () => c.addServiceAccount(operatorNamespace, "default", { round: String(i) }),
    ],
  ])("is not run early by 30 events: %s", async (_events, event) => {
    const { cluster, ecr, controller } = failing();
    const { before, after } = await mintsAfter(controller, ecr, times(30, event(cluster)));
    expect(before).toBe(1);
    expect(after).toBe(before);
  });
});

describe("a healthy credential", () => {
  it("patches a ServiceAccount it selects as soon as it appears, without a mint", async () => {
    const cluster = new FakeCluster();
    cluster.addNamespace("team-a");
    cluster.applyClusterCredential(
      clusterCredential("platform", {
        namespaces: { names: ["team-a"] },
        serviceAccounts: { names: ["builder"] },
      }),
    );
    const ecr = fakeEcr();
    const controller = operatorProcess(cluster, { aws: ecr.aws }).clusterCredentialController();
    const { before, after } = await mintsAfter(controller, ecr, [
      () => cluster.addServiceAccount("team-a", "builder"),
    ]);
    expect(after).toBe(before);
    expect(cluster.accounts.get("team-a", "builder")?.imagePullSecrets).toEqual([{ name: "platform" }]);
  });
});
