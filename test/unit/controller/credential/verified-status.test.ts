// What a sync reports of verification (reportOutcome and the status writers of readiness.ts): the
// Verified condition, status.verification, Warning events for checks made in the sync, the
// regcred_credential_verified gauge, and status.pullFailures left as the pull-failure sync wrote it.
import { describe, expect, it } from "@jest/globals";
import type {
  PullFailureStatus,
  RegistryCredentialSpec,
  VerificationReason,
  VerifyPolicy,
} from "../../../../src/api/v1alpha1.js";
import type { CredentialResource } from "../../../../src/controller/credential/credential-kind.js";
import { FakeCluster } from "../../../fakes/kube/fake-cluster.js";
import {
  clusterCredential,
  ecrHost,
  fakeEcr,
  fakeRegistry,
  manualClock,
  registryCredential,
} from "../fixtures.js";
import { type OperatorProcess, operatorProcess } from "../operator-process.js";

const namespace = "team-a";
const host = ecrHost("eu-west-1");
/** Past the renewal point of a 12-hour login, well before it expires. */
const pastRenewal = 7 * 3_600_000;

function world(options: { refusedRemintMs?: number } = {}) {
  const cluster = new FakeCluster();
  for (const ns of [namespace, "team-b"]) cluster.addNamespace(ns, { team: "yes" });
  const clock = manualClock(new Date("2030-01-01T00:00:00Z"));
  const ecr = fakeEcr({ now: clock.now });
  /** A new operator process; with `registry` null it does not verify (--verify-registries=false). */
  const start = (registry: ReturnType<typeof fakeRegistry> | null = fakeRegistry()) => ({
    registry: registry ?? fakeRegistry(),
    ...operatorProcess(cluster, {
      aws: ecr.aws,
      now: clock.now,
      ambientIdentityAllowed: () => true,
      ...(registry ? { probe: registry.probe } : {}),
      ...(options.refusedRemintMs ? { refusedRemintMs: options.refusedRemintMs } : {}),
    }),
  });
  return { cluster, clock, ecr, start };
}

const apply = (cluster: FakeCluster, spec: Partial<RegistryCredentialSpec> = {}, ns = namespace) =>
  cluster.applyRegistryCredential(registryCredential(ns, "pull", spec));
const stored = (cluster: FakeCluster, ns = namespace) => cluster.registryCredentials.get(ns, "pull");
const conditionOf = (resource: CredentialResource | undefined, type: string) =>
  resource?.status?.conditions?.find((c) => c.type === type);
const verify = (policy: VerifyPolicy): Partial<RegistryCredentialSpec> => ({ verify: policy });
const answering = (reason: VerificationReason) => () => reason;
const warnings = (cluster: FakeCluster, ns = namespace) =>
  cluster.events.filter((e) => e.type === "Warning" && e.namespace === ns).map((e) => e.reason);

/** regcred_credential_verified of RegistryCredential team-a/pull; undefined when the series is absent. */
async function verifiedGauge(process: OperatorProcess, ns = namespace): Promise<number | undefined> {
  const { values } = await process.metrics.credentialVerified.get();
  return values.find((v) => v.labels.namespace === ns && v.labels.name === "pull")?.value;
}

describe("the Verified condition and status.verification", () => {
  it.each<[VerificationReason, string, number | undefined]>([
    ["Authenticated", "True", 1],
    ["Unauthorized", "False", 0],
    ["Forbidden", "False", 0],
    ["NotFound", "False", 0],
    ["Unreachable", "Unknown", undefined],
    ["Skipped", "Unknown", undefined],
  ])("a registry answering %s gives Verified=%s and the gauge %p", async (reason, status, gauge) => {
    const { cluster, clock, start } = world();
    apply(cluster);
    const process = start();
    process.registry.verdict = answering(reason);
    await process.syncRegistryCredential(namespace, "pull");
    const resource = stored(cluster);
    expect(conditionOf(resource, "Verified")).toMatchObject({
      status,
      reason,
      observedGeneration: resource?.metadata.generation,
    });
    expect(resource?.status?.verification).toEqual([
      {
        index: 0,
        host,
        reason,
        message: `GET https://${host}/v2/ answered ${reason}`,
        verifiedAt: clock.now().toISOString(),
      },
    ]);
    expect(await verifiedGauge(process)).toBe(gauge);
  });

  it("records the canary image checked", async () => {
    const { cluster, start } = world();
    apply(cluster, { sources: [{ ecr: { region: "eu-west-1" }, verify: { image: "team/canary:1" } }] });
    const process = start();
    await process.syncRegistryCredential(namespace, "pull");
    expect(stored(cluster)?.status?.verification?.[0]).toMatchObject({ host, image: "team/canary:1" });
    expect(conditionOf(stored(cluster), "Verified")?.message).toContain(`${host} (canary team/canary:1)`);
  });

  it("is written beside Ready=False RegistryRefused when Enforce keeps a refused login out", async () => {
    const { cluster, start } = world();
    apply(cluster, verify({ mode: "Enforce" }));
    const process = start();
    process.registry.verdict = answering("Unauthorized");
    await process.syncRegistryCredential(namespace, "pull");
    expect(conditionOf(stored(cluster), "Ready")).toMatchObject({
      status: "False",
      reason: "RegistryRefused",
    });
    expect(conditionOf(stored(cluster), "Verified")).toMatchObject({
      status: "False",
      reason: "Unauthorized",
    });
    expect(stored(cluster)?.status?.verification).toHaveLength(1);
  });

  it("drops the gauge when a later check cannot reach the registry", async () => {
    const { cluster, clock, start } = world();
    apply(cluster, verify({ interval: "5m" }));
    const process = start();
    await process.syncRegistryCredential(namespace, "pull");
    expect(await verifiedGauge(process)).toBe(1);
    process.registry.verdict = answering("Unreachable");
    clock.advance(5 * 60_000);
    await process.syncRegistryCredentialOnce(namespace, "pull");
    expect(conditionOf(stored(cluster), "Verified")).toMatchObject({
      status: "Unknown",
      reason: "Unreachable",
    });
    expect(await verifiedGauge(process)).toBeUndefined();
  });

  it("asks to run again within spec.verify.interval, before the next refresh", async () => {
    const { cluster, start } = world();
    apply(cluster, verify({ interval: "5m" }));
    const result = await start().syncRegistryCredential(namespace, "pull");
    expect(result.requeueAfterMs).toBe(5 * 60_000);
  });
});

describe("Warning events of verification", () => {
  it("are recorded for a failing check made in the sync, naming the registry and source", async () => {
    const { cluster, start } = world();
    apply(cluster);
    const process = start();
    process.registry.verdict = answering("Forbidden");
    await process.syncRegistryCredential(namespace, "pull");
    const events = cluster.events.filter((e) => e.reason === "Forbidden");
    expect(events).toEqual([
      expect.objectContaining({
        type: "Warning",
        involved: "RegistryCredential/pull",
        message: `registry ${host} of spec.sources[0]: GET https://${host}/v2/ answered Forbidden`,
      }),
    ]);
  });

  it.each<[VerificationReason]>([["Authenticated"], ["Skipped"]])(
    "are not recorded for a check answering %s",
    async (reason) => {
      const { cluster, start } = world();
      apply(cluster);
      const process = start();
      process.registry.verdict = answering(reason);
      await process.syncRegistryCredential(namespace, "pull");
      expect(warnings(cluster)).toEqual([]);
    },
  );

  it("are not recorded for a memoised check: not for another resource of the identity, not on a later sync", async () => {
    const { cluster, clock, start } = world({ refusedRemintMs: 3_600_000 });
    apply(cluster, {}, namespace);
    apply(cluster, {}, "team-b");
    const process = start();
    process.registry.verdict = answering("Unauthorized");
    await process.syncRegistryCredential(namespace, "pull");
    clock.advance(1_000);
    await process.syncRegistryCredential("team-b", "pull");
    // Past the event recorder's five-minute window, so a repeated event would show.
    clock.advance(6 * 60_000);
    await process.syncRegistryCredentialOnce(namespace, "pull");
    expect(warnings(cluster)).toEqual(["Unauthorized"]);
    expect(warnings(cluster, "team-b")).toEqual([]);
    expect(conditionOf(stored(cluster, "team-b"), "Verified")).toMatchObject({ reason: "Unauthorized" });
    expect(process.registry.asked).toHaveLength(1);
  });
});

describe("turning verification off", () => {
  it("with spec.verify.mode Disabled removes the condition, status.verification and the gauge", async () => {
    const { cluster, start } = world();
    apply(cluster);
    const process = start();
    await process.syncRegistryCredential(namespace, "pull");
    expect(conditionOf(stored(cluster), "Verified")).toBeDefined();
    apply(cluster, verify({ mode: "Disabled" }));
    await process.syncRegistryCredentialOnce(namespace, "pull");
    expect(conditionOf(stored(cluster), "Verified")).toBeUndefined();
    expect(stored(cluster)?.status).not.toHaveProperty("verification");
    expect(conditionOf(stored(cluster), "Ready")).toMatchObject({ status: "True" });
    expect(await verifiedGauge(process)).toBeUndefined();
    expect(process.registry.asked).toHaveLength(1);
  });

  it("for the whole operator (no verifier) removes the condition and status.verification at the next sync", async () => {
    const { cluster, start } = world();
    apply(cluster);
    await start().syncRegistryCredential(namespace, "pull");
    cluster.restart();
    await start(null).syncRegistryCredentialOnce(namespace, "pull");
    expect(conditionOf(stored(cluster), "Verified")).toBeUndefined();
    expect(stored(cluster)?.status).not.toHaveProperty("verification");
  });

  it("keeps a ClusterRegistryCredential's condition out of status too", async () => {
    const { cluster, start } = world();
    cluster.applyClusterCredential(clusterCredential("platform", verify({ mode: "Disabled" })));
    const process = start();
    await process.syncClusterCredential("platform");
    const crc = cluster.clusterCredentials.get(undefined, "platform");
    expect(conditionOf(crc, "Ready")).toMatchObject({ status: "True" });
    expect(conditionOf(crc, "Verified")).toBeUndefined();
    expect(process.registry.asked).toEqual([]);
  });
});

describe("status.pullFailures", () => {
  const failure: PullFailureStatus = {
    namespace,
    pod: "app-1",
    image: `${host}/app:1`,
    cause: "CredentialsRefused",
    action: "Reminted",
    message: "401 Unauthorized",
    lastSeen: "2030-01-01T00:00:05.000Z",
  };

  /** Writes status.pullFailures as the pull-failure sync does: a merge patch of that one field. */
  async function recordFailure(cluster: FakeCluster) {
    await cluster.objects().patchNamespacedCustomObjectStatus({
      group: "regcred.dev",
      version: "v1alpha1",
      plural: "registrycredentials",
      namespace,
      name: "pull",
      body: { status: { pullFailures: [failure] } },
    });
  }

  it.each<[string, (w: ReturnType<typeof world>) => void, string]>([
    ["a refresh rewriting status", () => {}, "True"],
    ["a failed refresh", (w) => w.ecr.fail("eu-west-1"), "False"],
  ])("survive %s", async (_name, change, ready) => {
    const w = world();
    apply(w.cluster);
    const process = w.start();
    await process.syncRegistryCredential(namespace, "pull");
    await recordFailure(w.cluster);
    change(w);
    w.clock.advance(pastRenewal);
    await process.syncRegistryCredentialOnce(namespace, "pull");
    expect(conditionOf(stored(w.cluster), "Ready")).toMatchObject({ status: ready });
    expect(stored(w.cluster)?.status?.pullFailures).toEqual([failure]);
  });
});
