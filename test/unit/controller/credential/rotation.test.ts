// The rotate-now trigger: a new regcred.dev/rotate value mints every source afresh (past the token
// cache and refresh.minInterval) and rewrites every Secret, once per value; status.lastRotation
// records the value so that a resync or a restart never rotates again. Resources of one identity
// rotated together share one fresh mint.
import { describe, expect, it } from "@jest/globals";
import type { RegistryCredential } from "../../../../src/api/v1alpha1.js";
import { authsOf, FakeCluster } from "../../../fakes/kube/fake-cluster.js";
import { clusterCredential, ecrHost, fakeEcr, manualClock, registryCredential } from "../fixtures.js";
import { operatorNamespace, operatorProcess } from "../operator-process.js";

const host = ecrHost("eu-west-1");
const refresh = { minInterval: "2h", maxInterval: "6h" };

function withRotate<T extends { metadata: { annotations?: Record<string, string> } }>(
  resource: T,
  value: string,
): T {
  return { ...resource, metadata: { ...resource.metadata, annotations: { "regcred.dev/rotate": value } } };
}

/** A Ready RegistryCredential in the operator's namespace (ambient identity), minted once. */
async function readyCredential() {
  const cluster = new FakeCluster();
  cluster.addNamespace(operatorNamespace);
  const rc = registryCredential(operatorNamespace, "pull", { refresh });
  cluster.applyRegistryCredential(rc);
  const ecr = fakeEcr();
  const process = operatorProcess(cluster, { aws: ecr.aws });
  await process.syncRegistryCredential(operatorNamespace, "pull");
  const stored = () => cluster.registryCredentials.get(operatorNamespace, "pull") as RegistryCredential;
  const password = () => authsOf(cluster.secrets.get(operatorNamespace, "pull"))[host]?.password;
  const rotatedEvents = () => cluster.events.filter((e) => e.reason === "Rotated");
  return { cluster, ecr, process, rc, stored, password, rotatedEvents };
}

describe("a rotation asked for with regcred.dev/rotate", () => {
  it("mints afresh, rewrites the Secret, records the value and raises a Rotated event", async () => {
    const { cluster, ecr, process, rc, stored, password, rotatedEvents } = await readyCredential();
    expect(ecr.mints).toBe(1);
    cluster.applyRegistryCredential(withRotate(rc, "2026-12-01T10:00:00Z"));
    await process.syncRegistryCredential(operatorNamespace, "pull");
    expect(ecr.mints).toBe(2);
    expect(password()).toBe(ecr.issued[1]);
    expect(stored().status?.lastRotation).toEqual({
      value: "2026-12-01T10:00:00Z",
      rotatedAt: expect.any(String),
    });
    expect(rotatedEvents()).toHaveLength(1);
    expect(rotatedEvents()[0]?.message).toContain("2026-12-01T10:00:00Z");
  });

  it.each<[string, (c: Awaited<ReturnType<typeof readyCredential>>) => Promise<void>]>([
    [
      "a resync of the same value",
      async (c) => void (await c.process.syncRegistryCredential(operatorNamespace, "pull")),
    ],
    [
      "a restarted operator seeing the same value",
      async (c) => {
        c.cluster.restart();
        await operatorProcess(c.cluster, { aws: c.ecr.aws }).syncRegistryCredential(
          operatorNamespace,
          "pull",
        );
      },
    ],
  ])("rotates only once per value: %s mints nothing", async (_name, again) => {
    const c = await readyCredential();
    c.cluster.applyRegistryCredential(withRotate(c.rc, "one"));
    await c.process.syncRegistryCredential(operatorNamespace, "pull");
    const [mints, password] = [c.ecr.mints, c.password()];
    await again(c);
    expect(c.ecr.mints).toBe(mints);
    expect(c.password()).toBe(password);
    expect(c.rotatedEvents()).toHaveLength(1);
  });

  it("rotates again for a new value", async () => {
    const { cluster, ecr, process, rc, stored } = await readyCredential();
    for (const value of ["one", "two"]) {
      cluster.applyRegistryCredential(withRotate(rc, value));
      await process.syncRegistryCredential(operatorNamespace, "pull");
    }
    expect(ecr.mints).toBe(3);
    expect(stored().status?.lastRotation?.value).toBe("two");
  });

  it("is not recorded while a mint fails, and is carried out by the retry that succeeds", async () => {
    const { cluster, ecr, process, rc, stored, password, rotatedEvents } = await readyCredential();
    const before = password();
    ecr.fail("eu-west-1");
    cluster.applyRegistryCredential(withRotate(rc, "one"));
    const failed = await process.syncRegistryCredential(operatorNamespace, "pull");
    expect(failed.failed).toBe(true);
    expect(stored().status?.lastRotation).toBeUndefined();
    expect(password()).toBe(before);
    ecr.recover("eu-west-1");
    await process.syncRegistryCredential(operatorNamespace, "pull", 2);
    expect(stored().status?.lastRotation?.value).toBe("one");
    expect(password()).not.toBe(before);
    expect(rotatedEvents()).toHaveLength(1);
  });

  it("records a value longer than 256 characters by its digest, and handles it once", async () => {
    const { cluster, ecr, process, rc, stored } = await readyCredential();
    cluster.applyRegistryCredential(withRotate(rc, "x".repeat(300)));
    await process.syncRegistryCredential(operatorNamespace, "pull");
    await process.syncRegistryCredential(operatorNamespace, "pull");
    expect(stored().status?.lastRotation?.value).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(ecr.mints).toBe(2);
  });

  it("keeps the recorded rotation through later refreshes", async () => {
    const { cluster, process, rc, stored } = await readyCredential();
    cluster.applyRegistryCredential(withRotate(rc, "one"));
    await process.syncRegistryCredential(operatorNamespace, "pull");
    cluster.applyRegistryCredential(
      withRotate({ ...rc, spec: { ...rc.spec, refresh: { minInterval: "1h" } } }, "one"),
    );
    await process.syncRegistryCredential(operatorNamespace, "pull");
    expect(stored().status?.lastRotation?.value).toBe("one");
  });

  it("is queued by its controller when only the annotation changes", async () => {
    const { cluster, ecr, process, rc } = await readyCredential();
    const controller = process.registryCredentialController();
    controller.start();
    await controller.queue.idle();
    const mints = ecr.mints;
    cluster.applyRegistryCredential(withRotate(rc, "one"));
    await controller.queue.idle();
    await controller.stop();
    expect(ecr.mints).toBe(mints + 1);
  });

  it("of resources sharing an identity, asked for before its mint, is carried out by one fresh mint; one asked for after it mints again", async () => {
    const cluster = new FakeCluster();
    cluster.addNamespace(operatorNamespace);
    const [a, b] = ["a", "b"].map((name) => registryCredential(operatorNamespace, name, { refresh }));
    for (const rc of [a, b]) cluster.applyRegistryCredential(rc as RegistryCredential);
    const ecr = fakeEcr();
    const clock = manualClock(new Date("2030-01-01T00:00:00Z"));
    const process = operatorProcess(cluster, { aws: ecr.aws, now: clock.now });
    for (const name of ["a", "b"]) await process.syncRegistryCredential(operatorNamespace, name);
    expect(ecr.mints).toBe(1);
    clock.advance(1_000);
    // Both asked for at once; the controller sees both requests before either sync runs.
    const controller = process.registryCredentialController();
    for (const rc of [a, b]) cluster.applyRegistryCredential(withRotate(rc as RegistryCredential, "fleet"));
    clock.advance(1_000);
    controller.start();
    await controller.queue.idle();
    expect(ecr.mints).toBe(2);
    for (const name of ["a", "b"])
      expect(cluster.registryCredentials.get(operatorNamespace, name)?.status?.lastRotation?.value).toBe(
        "fleet",
      );
    clock.advance(1_000);
    cluster.applyRegistryCredential(
      withRotate(cluster.registryCredentials.get(operatorNamespace, "b") as RegistryCredential, "later"),
    );
    await controller.queue.idle();
    await controller.stop();
    expect(ecr.mints).toBe(3);
  });

  it("rewrites a ClusterRegistryCredential's Secret in every namespace with one fresh mint", async () => {
    const cluster = new FakeCluster();
    for (const ns of [operatorNamespace, "team-a", "team-b"]) cluster.addNamespace(ns, { team: "yes" });
    const crc = clusterCredential("platform", { refresh });
    cluster.applyClusterCredential(crc);
    const ecr = fakeEcr();
    const process = operatorProcess(cluster, { aws: ecr.aws });
    await process.syncClusterCredential("platform");
    cluster.applyClusterCredential(withRotate(crc, "one"));
    await process.syncClusterCredential("platform");
    expect(ecr.mints).toBe(2);
    for (const ns of [operatorNamespace, "team-a", "team-b"])
      expect(authsOf(cluster.secrets.get(ns, "platform"))[host]?.password).toBe(ecr.issued[1]);
    const { values } = await process.metrics.rotations.get();
    expect(values).toEqual([
      expect.objectContaining({ labels: { kind: "ClusterRegistryCredential" }, value: 1 }),
    ]);
  });
});
