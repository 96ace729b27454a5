// The credential pipeline, run on both kinds with the same rows: what each sync writes (the
// fake cluster's action log), the events and metrics it records, the logs it writes and when it
// asks to run again. In milliseconds, on the in-memory cluster.
import { describe, expect, it } from "@jest/globals";
import type { RegistryCredentialSpec } from "../../../../src/api/v1alpha1.js";
import type { CredentialResource } from "../../../../src/controller/credential/credential-kind.js";
import type { SyncResult } from "../../../../src/controller/runtime/work-queue.js";
import type { OperatorMetrics } from "../../../../src/metrics/metrics.js";
import { authsOf, FakeCluster } from "../../../fakes/kube/fake-cluster.js";
import { clusterCredential, ecrHost, fakeEcr, manualClock, registryCredential } from "../fixtures.js";
import { type OperatorProcess, operatorProcess } from "../operator-process.js";

const namespace = "team-a";

/** One credential kind as these tables drive it: the same resource "pull" writing into team-a. */
interface KindUnderTest {
  kind: "RegistryCredential" | "ClusterRegistryCredential";
  /** Its key in the fake cluster's action log. */
  logKey: string;
  apply(cluster: FakeCluster, spec?: Partial<RegistryCredentialSpec>): void;
  sync(process: OperatorProcess, failures?: number): Promise<SyncResult>;
  syncOnce(process: OperatorProcess, failures?: number): Promise<SyncResult>;
  remove(cluster: FakeCluster): void;
  stored(cluster: FakeCluster): CredentialResource | undefined;
}

const kinds: KindUnderTest[] = [
  {
    kind: "RegistryCredential",
    logKey: `${namespace}/pull`,
    apply: (cluster, spec = {}) =>
      cluster.applyRegistryCredential(registryCredential(namespace, "pull", spec)),
    sync: (process, failures) => process.syncRegistryCredential(namespace, "pull", failures),
    syncOnce: (process, failures) => process.syncRegistryCredentialOnce(namespace, "pull", failures),
    remove: (cluster) => cluster.deleteRegistryCredential(namespace, "pull"),
    stored: (cluster) => cluster.registryCredentials.get(namespace, "pull"),
  },
  {
    kind: "ClusterRegistryCredential",
    logKey: "/pull",
    apply: (cluster, spec = {}) =>
      cluster.applyClusterCredential(
        clusterCredential("pull", { namespaces: { names: [namespace] }, ...spec }),
      ),
    sync: (process, failures) => process.syncClusterCredential("pull", failures),
    syncOnce: (process, failures) => process.syncClusterCredentialOnce("pull", failures),
    remove: (cluster) => cluster.deleteClusterCredential("pull"),
    stored: (cluster) => cluster.clusterCredentials.get(undefined, "pull"),
  },
];

/** A cluster with team-a (and its default ServiceAccount, unless told), ECR answering, and a clock tests move. */
function world(options: { lifetimeMs?: number; noDefaultAccount?: boolean; createsAccounts?: boolean } = {}) {
  const cluster = new FakeCluster();
  cluster.addNamespace(namespace, { team: "yes" });
  if (!options.noDefaultAccount) cluster.addServiceAccount(namespace, "default");
  const clock = manualClock(new Date("2030-01-01T00:00:00Z"));
  const ecr = fakeEcr({ now: clock.now, ...(options.lifetimeMs ? { lifetimeMs: options.lifetimeMs } : {}) });
  const start = () =>
    operatorProcess(cluster, {
      aws: ecr.aws,
      now: clock.now,
      ambientIdentityAllowed: () => true,
      createsDefaultServiceAccounts: options.createsAccounts ?? true,
    });
  return { cluster, clock, ecr, start, process: start() };
}

const readyOf = (resource: CredentialResource | undefined) =>
  resource?.status?.conditions?.find((c) => c.type === "Ready");

/** The counters a sync moves, as "name{label=value,…}" → value (zero series left out). */
async function counters(metrics: OperatorMetrics): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const metric of [metrics.secretWrites, metrics.serviceAccountPatches, metrics.refreshes]) {
    const { name, values } = await metric.get();
    for (const { labels, value } of values) {
      const text = Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
      if (value > 0) out[`${name}{${text}}`] = value;
    }
  }
  return out;
}

const twoRegions: Partial<RegistryCredentialSpec> = {
  sources: [{ ecr: { region: "eu-west-1" } }, { ecr: { region: "us-east-1" } }],
};

describe.each(kinds)("a $kind", (k) => {
  it("gets the operator's finalizer on its first sync, and nothing else is written", async () => {
    const { cluster, process } = world();
    k.apply(cluster);
    expect(await k.syncOnce(process)).toEqual({});
    expect(cluster.writes).toEqual([`patch ${k.kind} ${k.logKey}`]);
    expect(cluster.events).toEqual([]);
  });

  it("writes its Secret, points the selected ServiceAccount at it and is Ready: the same writes, event, metrics and log for both kinds", async () => {
    const { cluster, process, clock } = world();
    k.apply(cluster, { serviceAccounts: { names: ["default"] } });
    const result = await k.sync(process);
    expect(cluster.writes).toEqual([
      `patch ${k.kind} ${k.logKey}`,
      `create Secret ${namespace}/pull`,
      `patch ServiceAccount ${namespace}/default`,
      `patch-status ${k.kind} ${k.logKey}`,
    ]);
    expect(cluster.events.map((e) => `${e.type} ${e.reason}`)).toEqual(["Normal TokenRefreshed"]);
    expect(await counters(process.metrics)).toEqual({
      "regcred_secret_writes_total{operation=create}": 1,
      "regcred_serviceaccount_patches_total{operation=add}": 1,
      "regcred_refresh_total{provider=ecr,result=success}": 1,
    });
    expect(process.logs.filter((l) => l.msg === "secrets written")).toEqual([
      expect.objectContaining({ created: 1, updated: 0 }),
    ]);
    expect(readyOf(k.stored(cluster))).toMatchObject({ status: "True", reason: "TokenRefreshed" });
    expect(Object.keys(authsOf(cluster.secrets.get(namespace, "pull")))).toEqual([ecrHost("eu-west-1")]);
    // It runs again when status says the next refresh is due, well before the 12-hour expiry.
    const next = Date.parse(k.stored(cluster)?.status?.nextRefreshTime ?? "");
    expect(result).toEqual({ requeueAfterMs: next - clock.now().getTime() });
    expect(next).toBeLessThan(Date.parse(k.stored(cluster)?.status?.expiresAt ?? ""));
  });

  it.each<[string, boolean, string[]]>([
    [
      "creates a missing `default` ServiceAccount already pointing at its Secret, where the install may",
      true,
      [`create ServiceAccount ${namespace}/default`],
    ],
    [
      "leaves a missing `default` ServiceAccount to the controller manager where the install may not create one",
      false,
      [],
    ],
  ])("%s", async (_name, createsAccounts, accountWrites) => {
    const { cluster, process } = world({ noDefaultAccount: true, createsAccounts });
    k.apply(cluster, { serviceAccounts: { names: ["default"] } });
    await k.sync(process);
    expect(cluster.writes.filter((w) => w.includes("ServiceAccount"))).toEqual(accountWrites);
    expect(cluster.accounts.get(namespace, "default")?.imagePullSecrets).toEqual(
      createsAccounts ? [{ name: "pull" }] : undefined,
    );
    expect(readyOf(k.stored(cluster))).toMatchObject({ status: "True" });
  });

  it("reports a spec the CRD schema cannot check as InvalidSpec, writes no Secret and waits for a change", async () => {
    const { cluster, process, ecr } = world();
    k.apply(cluster, { sources: [{ ecr: { region: "eu-west-1", registryIds: ["not-an-account"] } }] });
    expect(await k.sync(process)).toEqual({});
    expect(readyOf(k.stored(cluster))).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(readyOf(k.stored(cluster))?.message).toContain("spec.sources[0].ecr");
    expect(cluster.events.map((e) => `${e.type} ${e.reason}`)).toEqual(["Warning InvalidSpec"]);
    expect(cluster.secrets.get(namespace, "pull")).toBeUndefined();
    expect(ecr.mints).toBe(0);
  });

  it("leaves a Secret of someone else untouched, reports SecretConflict with no cloud call, and checks again in 5 minutes", async () => {
    const { cluster, process, ecr } = world();
    const foreign = cluster.putForeignSecret({
      metadata: { name: "pull", namespace },
      type: "Opaque",
      data: { note: Buffer.from("the tenant's own").toString("base64") },
    });
    k.apply(cluster, { serviceAccounts: { names: ["default"] } });
    expect(await k.sync(process)).toEqual({ requeueAfterMs: 5 * 60_000 });
    expect(readyOf(k.stored(cluster))).toMatchObject({ status: "False", reason: "SecretConflict" });
    expect(cluster.secrets.get(namespace, "pull")?.metadata?.resourceVersion).toBe(
      foreign.metadata?.resourceVersion,
    );
    expect(cluster.writes.filter((w) => w.includes("Secret ") || w.includes("ServiceAccount"))).toEqual([]);
    expect(cluster.events.map((e) => e.reason)).toEqual(["SecretConflict"]);
    expect(ecr.mints).toBe(0);
  });

  it("keeps a failing source's last login beside the other source's, says until when, and backs off", async () => {
    const { cluster, process, ecr, clock } = world();
    k.apply(cluster, twoRegions);
    await k.sync(process);
    const written = authsOf(cluster.secrets.get(namespace, "pull"));
    ecr.fail("us-east-1");
    clock.advance(11 * 3600_000); // both are due for renewal; us-east-1's login is still valid
    const result = await k.sync(process, 2);
    expect(result).toMatchObject({ failed: true });
    expect(result.requeueAfterMs).toBeLessThanOrEqual(5 * 60_000);
    const ready = readyOf(k.stored(cluster));
    expect(ready).toMatchObject({ status: "False", reason: "ProviderError" });
    expect(ready?.message).toContain("spec.sources[1] (ecr us-east-1)");
    expect(ready?.message).toContain("keeps the last login of spec.sources[1] until it expires at");
    const now = authsOf(cluster.secrets.get(namespace, "pull"));
    expect(now[ecrHost("us-east-1")]).toEqual(written[ecrHost("us-east-1")]);
    expect(now[ecrHost("eu-west-1")]?.password).not.toBe(written[ecrHost("eu-west-1")]?.password);
    expect(await counters(process.metrics)).toMatchObject({
      "regcred_refresh_total{provider=ecr,result=ProviderError}": 1,
    });
  });

  it.each<[string, (w: ReturnType<typeof world>) => Partial<RegistryCredentialSpec>, string, number]>([
    [
      "an outage backs off from 5 seconds",
      (w) => {
        w.ecr.fail("eu-west-1");
        return {};
      },
      "ProviderError",
      5_000,
    ],
    [
      "a missing referenced Secret, which only a change can fix, waits 5 minutes",
      () => ({ sources: [{ ecr: { region: "eu-west-1", auth: { secretRef: { name: "no-such-keys" } } } }] }),
      "AuthSecretMissing",
      5 * 60_000,
    ],
  ])("retries a failing first sync by the kind of failure: %s", async (_name, arrange, reason, delay) => {
    const w = world();
    k.apply(w.cluster, arrange(w));
    expect(await k.sync(w.process)).toEqual({ requeueAfterMs: delay, failed: true });
    expect(readyOf(k.stored(w.cluster))).toMatchObject({ status: "False", reason });
  });

  it("reports Expired once the logins it wrote have expired while the source keeps failing", async () => {
    const { cluster, process, ecr, clock } = world({ lifetimeMs: 3600_000 });
    k.apply(cluster);
    await k.sync(process);
    ecr.fail("eu-west-1");
    clock.advance(2 * 3600_000);
    expect(await k.sync(process, 3)).toMatchObject({ failed: true });
    expect(readyOf(k.stored(cluster))).toMatchObject({ status: "False", reason: "Expired" });
    const expired = await process.metrics.credentialExpired.get();
    expect(expired.values.map((v) => v.value)).toEqual([1]);
  });

  it.each<[string, "Delete" | "Retain", string[]]>([
    ["Delete removes its Secret", "Delete", ["delete Secret team-a/pull"]],
    ["Retain keeps its Secret without the operator's marks", "Retain", ["replace Secret team-a/pull"]],
  ])(
    "on deletion with %s, unpoints its ServiceAccounts and releases the finalizer",
    async (_name, policy, secretWrites) => {
      const { cluster, process } = world();
      k.apply(cluster, { deletionPolicy: policy, serviceAccounts: { names: ["default"] } });
      await k.sync(process);
      const before = cluster.writes.length;
      k.remove(cluster);
      expect(await k.sync(process)).toEqual({});
      expect(cluster.writes.slice(before)).toEqual([
        `patch ServiceAccount ${namespace}/default`,
        ...secretWrites,
        `patch ${k.kind} ${k.logKey}`,
      ]);
      expect(k.stored(cluster)).toBeUndefined();
      expect(cluster.accounts.get(namespace, "default")?.imagePullSecrets ?? []).toEqual([]);
      const kept = cluster.secrets.get(namespace, "pull");
      if (policy === "Delete") expect(kept).toBeUndefined();
      else {
        expect(kept?.metadata?.labels?.["app.kubernetes.io/managed-by"]).toBeUndefined();
        expect(kept?.metadata?.annotations?.["regcred.dev/owner"]).toBeUndefined();
        expect(kept?.metadata?.ownerReferences ?? []).toEqual([]);
        expect(Object.keys(authsOf(kept))).toEqual([ecrHost("eu-west-1")]);
      }
    },
  );

  it("that was gone without its finalizer running removes its admission policy", async () => {
    const { cluster, process } = world();
    k.apply(cluster, { podAdmission: { enabled: true } });
    await k.sync(process);
    expect(cluster.policies.items.size).toBe(1);
    cluster.stripFinalizers(k.kind, k.kind === "RegistryCredential" ? namespace : undefined, "pull");
    expect(await k.sync(process)).toEqual({});
    expect(cluster.policies.items.size).toBe(0);
  });

  it.each<[string, (secret: Record<string, string>) => Record<string, string>, number]>([
    ["reuses the logins it wrote itself after a restart, with no call to ECR", (data) => data, 1],
    [
      "mints again after a restart when its Secret was edited, and never writes the forged login back",
      (data) => ({
        ".dockerconfigjson": Buffer.from(
          JSON.stringify({
            auths: { [ecrHost("eu-west-1")]: { username: "AWS", password: "forged", auth: "" } },
          }),
        ).toString("base64"),
        ...Object.fromEntries(Object.entries(data).filter(([key]) => key !== ".dockerconfigjson")),
      }),
      2,
    ],
  ])("%s", async (_name, edit, mints) => {
    const { cluster, ecr, start } = world();
    k.apply(cluster);
    await k.sync(start());
    const secret = cluster.secrets.get(namespace, "pull");
    if (!secret?.data) throw new Error("the first sync wrote no Secret");
    cluster.putForeignSecret({ ...secret, data: edit(secret.data) });
    cluster.restart();
    await k.sync(start());
    expect(ecr.mints).toBe(mints);
    expect(readyOf(k.stored(cluster))).toMatchObject({ status: "True" });
    expect(authsOf(cluster.secrets.get(namespace, "pull"))[ecrHost("eu-west-1")]?.password).not.toBe(
      "forged",
    );
  });

  it("never points a ServiceAccount at a Secret planted with its marks but not its signature, while minting fails", async () => {
    const { cluster, ecr, start } = world();
    k.apply(cluster);
    await k.sync(start()); // status now names a login, which a restarted operator must prove
    const uid = k.stored(cluster)?.metadata.uid as string;
    cluster.secrets.delete(namespace, "pull");
    cluster.putForeignSecret({
      metadata: {
        name: "pull",
        namespace,
        labels: { "app.kubernetes.io/managed-by": "registry-credential-operator" },
        annotations: {
          "regcred.dev/owner":
            k.kind === "RegistryCredential" ? `${k.kind}/${namespace}/pull` : `${k.kind}/pull`,
          "regcred.dev/owner-uid": uid,
        },
      },
      type: "kubernetes.io/dockerconfigjson",
      data: {
        ".dockerconfigjson": Buffer.from('{"auths":{"evil.example":{"auth":"eDp5"}}}').toString("base64"),
      },
    });
    ecr.fail("eu-west-1");
    k.apply(cluster, { serviceAccounts: { names: ["default"] } });
    cluster.restart();
    await k.sync(start(), 2);
    expect(cluster.accounts.get(namespace, "default")?.imagePullSecrets).toBeUndefined();
    expect(cluster.secrets.get(namespace, "pull")?.data?.[".dockerconfigjson"]).toContain(
      Buffer.from('{"auths":{"evil').toString("base64").slice(0, 16),
    );
    expect(readyOf(k.stored(cluster))?.status).toBe("False");
  });

  it("deleted with Retain while the cache holds none of its Secret, still strips the operator's marks from it", async () => {
    const { cluster, process } = world();
    k.apply(cluster, { deletionPolicy: "Retain" });
    await k.sync(process);
    const secret = cluster.secrets.get(namespace, "pull");
    if (!secret) throw new Error("the first sync wrote no Secret");
    cluster.secretInformer.remove(secret as never, false);
    k.remove(cluster);
    await k.sync(process);
    const kept = cluster.secrets.get(namespace, "pull");
    expect(kept?.metadata?.annotations?.["regcred.dev/owner"]).toBeUndefined();
    expect(k.stored(cluster)).toBeUndefined();
  });

  it("recreated with another Secret name: the old Secret goes with the old resource, and the ServiceAccount lists only the new one", async () => {
    const { cluster, process } = world();
    k.apply(cluster, { secret: { name: "old-pull" }, serviceAccounts: { names: ["default"] } });
    await k.sync(process);
    k.remove(cluster);
    await k.sync(process);
    k.apply(cluster, { secret: { name: "new-pull" }, serviceAccounts: { names: ["default"] } });
    await k.sync(process);
    expect(cluster.secrets.get(namespace, "old-pull")).toBeUndefined();
    expect(Object.keys(authsOf(cluster.secrets.get(namespace, "new-pull")))).toEqual([ecrHost("eu-west-1")]);
    expect(cluster.accounts.get(namespace, "default")?.imagePullSecrets).toEqual([{ name: "new-pull" }]);
  });

  it("reports a Secret the apiserver refuses (422) as InvalidSpec, keeps what the Secret held and checks again in 5 minutes", async () => {
    const { cluster, process } = world();
    k.apply(cluster);
    await k.sync(process);
    const secret = cluster.secrets.get(namespace, "pull");
    if (!secret) throw new Error("the first sync wrote no Secret");
    // Another tool annotated the Secret heavily; the operator's own annotations then overflow the limit.
    cluster.putForeignSecret({
      ...secret,
      metadata: {
        ...secret.metadata,
        annotations: { ...secret.metadata?.annotations, "other/blob": "y".repeat(120_000) },
      },
    });
    const held = cluster.secrets.get(namespace, "pull")?.data;
    const notes = Object.fromEntries(Array.from({ length: 18 }, (_, i) => [`note-${i}`, "x".repeat(8000)]));
    k.apply(cluster, { secret: { annotations: notes } });
    expect(await k.sync(process)).toEqual({ requeueAfterMs: 5 * 60_000 });
    expect(readyOf(k.stored(cluster))).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(readyOf(k.stored(cluster))?.message).toContain("check spec.secret");
    expect(cluster.secrets.get(namespace, "pull")?.data).toEqual(held);
  });
});

describe("a ClusterRegistryCredential's namespaces", () => {
  function fanOut() {
    const w = world();
    w.cluster.addNamespace("team-b", { team: "yes" });
    w.cluster.addServiceAccount("team-b", "default");
    w.cluster.applyClusterCredential(clusterCredential("pull", { serviceAccounts: { names: ["default"] } }));
    return w;
  }

  it("all get the Secret from one mint, and status counts them", async () => {
    const { cluster, process, ecr } = fanOut();
    await process.syncClusterCredential("pull");
    expect(ecr.mints).toBe(1);
    for (const ns of [namespace, "team-b"]) expect(cluster.secrets.get(ns, "pull")).toBeDefined();
    expect(cluster.clusterCredentials.get(undefined, "pull")?.status?.namespaces).toEqual({
      targeted: 2,
      inSync: 2,
      failed: 0,
    });
  });

  it("that leave the selection lose the Secret and the ServiceAccount entry; others keep theirs", async () => {
    const { cluster, process } = fanOut();
    await process.syncClusterCredential("pull");
    cluster.addNamespace("team-b", { team: "no" });
    await process.syncClusterCredential("pull");
    expect(cluster.secrets.get("team-b", "pull")).toBeUndefined();
    expect(cluster.accounts.get("team-b", "default")?.imagePullSecrets ?? []).toEqual([]);
    expect(cluster.secrets.get(namespace, "pull")).toBeDefined();
    expect(cluster.clusterCredentials.get(undefined, "pull")?.status?.namespaces?.targeted).toBe(1);
  });

  it("moved to a namespace where the name is taken: the Secret left behind goes, and so does its admission policy", async () => {
    const { cluster, process, ecr } = fanOut();
    cluster.applyClusterCredential(
      clusterCredential("pull", { namespaces: { names: [namespace] }, podAdmission: { enabled: true } }),
    );
    await process.syncClusterCredential("pull");
    expect(cluster.policies.items.size).toBe(1);
    cluster.putForeignSecret({ metadata: { name: "pull", namespace: "team-b" }, type: "Opaque", data: {} });
    cluster.applyClusterCredential(
      clusterCredential("pull", { namespaces: { names: ["team-b"] }, podAdmission: { enabled: true } }),
    );
    const mints = ecr.mints;
    expect(await process.syncClusterCredential("pull")).toEqual({ requeueAfterMs: 5 * 60_000 });
    expect(ecr.mints).toBe(mints);
    expect(cluster.secrets.get(namespace, "pull")).toBeUndefined();
    expect(cluster.secrets.get("team-b", "pull")?.type).toBe("Opaque");
    expect(cluster.policies.items.size).toBe(0);
    expect(readyOf(cluster.clusterCredentials.get(undefined, "pull"))).toMatchObject({
      reason: "SecretConflict",
    });
  });

  it("that appear after a full sync are written by a namespace-level sync, with no mint", async () => {
    const { cluster, process, ecr } = fanOut();
    await process.syncClusterCredential("pull");
    cluster.addNamespace("team-c", { team: "yes" });
    expect(await process.syncClusterTarget("pull", "team-c")).toBe(true);
    expect(ecr.mints).toBe(1);
    expect(cluster.secrets.get("team-c", "pull")?.data).toEqual(cluster.secrets.get(namespace, "pull")?.data);
  });

  it("are not written by a namespace-level sync before any full sync made a plan", async () => {
    const { cluster, process } = fanOut();
    await process.syncClusterCredentialOnce("pull");
    expect(await process.syncClusterTarget("pull", namespace)).toBe(false);
    expect(cluster.secrets.get(namespace, "pull")).toBeUndefined();
  });

  it("that fail do not stop the others: the resource stays Ready, lists the failure and checks again within 5 minutes", async () => {
    const { cluster, process } = fanOut();
    cluster.putForeignSecret({ metadata: { name: "pull", namespace: "team-b" }, type: "Opaque", data: {} });
    const result = await process.syncClusterCredential("pull");
    expect(result.requeueAfterMs).toBeLessThanOrEqual(5 * 60_000);
    const crc = cluster.clusterCredentials.get(undefined, "pull");
    expect(readyOf(crc)).toMatchObject({ status: "True" });
    expect(crc?.status?.failures).toEqual([
      expect.objectContaining({ namespace: "team-b", reason: "SecretConflict" }),
    ]);
    expect(cluster.events.map((e) => `${e.type} ${e.reason}`)).toEqual([
      "Normal TokenRefreshed",
      "Warning SecretConflict",
    ]);
  });
});
