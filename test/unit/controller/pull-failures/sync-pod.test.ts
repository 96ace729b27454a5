// The pull-failure sync of one pod over the in-memory cluster: credential resources synced for real
// (so their status and Secret are what the operator wrote), pods in a fake informer holding only
// what the kubelet would write, a fake Eviction API, and the remint ledger on the fake clock.
import { describe, expect, it, jest } from "@jest/globals";
import { ApiException, type V1ContainerStatus, type V1Pod } from "@kubernetes/client-node";
import type { PullFailureStatus, RegistryCredentialSpec } from "../../../../src/api/v1alpha1.js";
import { clusterRegistryCredentialKind } from "../../../../src/controller/cluster-registry-credential/kind.js";
import type { ControllerContext } from "../../../../src/controller/credential/context.js";
import type {
  CredentialKind,
  CredentialResource,
} from "../../../../src/controller/credential/credential-kind.js";
import type { Covering } from "../../../../src/controller/pull-failures/covering-credentials.js";
import { RemintLedger } from "../../../../src/controller/pull-failures/remint-ledger.js";
import { syncPodPullFailures } from "../../../../src/controller/pull-failures/sync-pod.js";
import { registryCredentialKind } from "../../../../src/controller/registry-credential/kind.js";
import type { Informer } from "../../../../src/kube/informer.js";
import type { EvictionApi } from "../../../../src/kube/ports.js";
import type { OperatorMetrics } from "../../../../src/metrics/metrics.js";
import { pullFailuresOf } from "../../../../src/pulls/pull-failure.js";
import { FakeClock } from "../../../fakes/clock.js";
import { FakeCluster } from "../../../fakes/kube/fake-cluster.js";
import { clusterCredential, ecrHost, fakeEcr, registryCredential } from "../fixtures.js";
import { operatorProcess } from "../operator-process.js";

const namespace = "team-a";
const host = ecrHost("eu-west-1");
const image = `${host}/app:1`;
const intervalMs = 10 * 60_000;
const refused = `failed to pull and unpack image "${image}": failed to resolve reference: unexpected status from HEAD request: 401 Unauthorized`;

/** A pod in team-a whose container `app` waits in `reason` with the kubelet's `message`. */
function failingPod(
  name: string,
  options: {
    reason?: "ErrImagePull" | "ImagePullBackOff";
    message?: string;
    image?: string;
    pullSecrets?: string[];
    serviceAccountName?: string;
    owned?: boolean;
  } = {},
): V1Pod {
  const status: V1ContainerStatus = {
    name: "app",
    image: options.image ?? image,
    imageID: "",
    ready: false,
    restartCount: 0,
    state: { waiting: { reason: options.reason ?? "ErrImagePull", message: options.message ?? refused } },
  };
  return {
    metadata: {
      name,
      namespace,
      uid: `uid-${name}`,
      ...(options.owned === false
        ? {}
        : {
            ownerReferences: [
              {
                apiVersion: "apps/v1",
                kind: "ReplicaSet",
                name: "app-7d9f",
                uid: "uid-rs",
                controller: true,
              },
            ],
          }),
    },
    spec: {
      containers: [{ name: "app", image: options.image ?? image }],
      ...(options.serviceAccountName ? { serviceAccountName: options.serviceAccountName } : {}),
      ...(options.pullSecrets ? { imagePullSecrets: options.pullSecrets.map((s) => ({ name: s })) } : {}),
    },
    status: { phase: "Pending", containerStatuses: [status] },
  };
}

/** The pod informer: it holds only pods failing to pull, as the operator's does. */
class FakePods implements Informer<V1Pod> {
  private readonly pods = new Map<string, V1Pod>();
  put(pod: V1Pod): void {
    this.pods.set(`${pod.metadata?.namespace}/${pod.metadata?.name}`, structuredClone(pod));
  }
  remove(name: string): void {
    this.pods.delete(`${namespace}/${name}`);
  }
  get(name: string, ns?: string): V1Pod | undefined {
    const pod = this.pods.get(`${ns}/${name}`);
    return pod ? structuredClone(pod) : undefined;
  }
  list(ns?: string): readonly V1Pod[] {
    return [...this.pods.values()].filter((p) => ns === undefined || p.metadata?.namespace === ns);
  }
  on(): void {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}

/** An Eviction API answering `answer` (accepting by default), recording each pod it was asked to evict. */
function fakeEvictions() {
  const state: { answer?: ApiException<unknown> } = {};
  const api = {
    evicted: [] as string[],
    refuseWith(code: number, reason: string) {
      state.answer = new ApiException(code, reason, JSON.stringify({ kind: "Status", code, reason }), {});
    },
    createNamespacedPodEviction: jest.fn(
      async ({ namespace: ns, name }: { namespace: string; name: string }) => {
        if (state.answer) throw state.answer;
        api.evicted.push(`${ns}/${name}`);
        return {};
      },
    ),
  };
  return api;
}

/**
 * team-a (selected by team=yes) with its default ServiceAccount, the credential resources `setUp`
 * applies synced once by an operator process, and the pull-failure sync's dependencies over them.
 */
async function world(
  setUp: (cluster: FakeCluster, process: ReturnType<typeof operatorProcess>) => Promise<void>,
) {
  const cluster = new FakeCluster();
  cluster.addNamespace(namespace, { team: "yes" });
  cluster.addServiceAccount(namespace, "default");
  const clock = new FakeClock(Date.parse("2030-01-01T00:00:00Z"));
  const ecr = fakeEcr({ now: () => clock.date() });
  const process = operatorProcess(cluster, {
    aws: ecr.aws,
    now: () => clock.date(),
    ambientIdentityAllowed: () => true,
  });
  await setUp(cluster, process);
  cluster.writes.length = 0;
  cluster.events.length = 0;
  const base = process.ctx();
  // The process's own: a credential sync there takes what the pod sync asks for.
  const remints = base.remints;
  const request = jest.spyOn(remints, "request");
  // No PodDisruptionBudget in the namespace (evict-pod.test.ts covers the budgets).
  const policy = { listNamespacedPodDisruptionBudget: async () => ({ items: [] }) } as never;
  const ctx: ControllerContext = { ...base, kube: { ...base.kube, policy }, clock, remints };
  const pods = new FakePods();
  const evictions = fakeEvictions();
  const resync = jest.fn((_covering: Covering) => {});
  const kinds = [
    { kind: registryCredentialKind(ctx), list: () => cluster.rcInformer.list() },
    { kind: clusterRegistryCredentialKind(ctx), list: () => cluster.crcInformer.list() },
  ] as { kind: CredentialKind<CredentialResource>; list: () => readonly CredentialResource[] }[];
  const deps = {
    ctx,
    pods,
    kinds,
    ledger: new RemintLedger(clock, intervalMs),
    evictions: evictions as unknown as EvictionApi,
    resync,
    evictionTries: new Map<string, number>(),
  };
  return {
    cluster,
    clock,
    pods,
    evictions,
    resync,
    request,
    metrics: process.metrics,
    /** Puts `pod` in the informer (when given) and syncs it. */
    async sync(name: string, pod?: V1Pod) {
      if (pod) pods.put(pod);
      return syncPodPullFailures(deps, { namespace, name });
    },
    /** Runs the credential's sync, as the resync the pod sync asks for would. */
    syncCredential: (name = "pull") => process.syncRegistryCredential(namespace, name),
    rc: (name = "pull") => cluster.registryCredentials.get(namespace, name),
    crc: (name: string) => cluster.clusterCredentials.get(undefined, name),
  };
}

const withRc =
  (spec: Partial<RegistryCredentialSpec> = {}, name = "pull") =>
  async (cluster: FakeCluster, process: ReturnType<typeof operatorProcess>) => {
    cluster.applyRegistryCredential(registryCredential(namespace, name, spec));
    await process.syncRegistryCredential(namespace, name);
  };

const entries = (list: readonly PullFailureStatus[] | undefined) =>
  (list ?? []).map((e) => `${e.namespace}/${e.pod} ${e.image} ${e.cause} ${e.action}`);

/** regcred_pull_failures_total and regcred_pod_evictions_total as "name{labels}" → value. */
async function counters(metrics: OperatorMetrics): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const metric of [metrics.pullFailures, metrics.evictions]) {
    const { name, values } = await metric.get();
    for (const { labels, value } of values)
      out[
        `${name}{${Object.entries(labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(",")}}`
      ] = value;
  }
  return out;
}

describe("a pod holding the resource's Secret whose pull the registry refuses", () => {
  it("asks for a fresh mint of the identity status records, queues the resource once, and records Reminted", async () => {
    const w = await world(withRc());
    const identity = w.rc()?.status?.sources?.[0]?.identity as string;
    expect(await w.sync("app-1", failingPod("app-1", { pullSecrets: ["pull"] }))).toEqual({});
    expect(w.request.mock.calls).toEqual([[identity]]);
    expect(w.resync).toHaveBeenCalledTimes(1);
    expect(w.resync.mock.calls[0]?.[0]).toMatchObject({
      identity,
      index: 0,
      credential: { id: "RegistryCredential/team-a/pull" },
    });
    expect(w.cluster.writes).toEqual(["patch-status RegistryCredential team-a/pull"]);
    const [entry] = w.rc()?.status?.pullFailures ?? [];
    expect(entry).toEqual({
      namespace,
      pod: "app-1",
      image,
      cause: "CredentialsRefused",
      action: "Reminted",
      message: expect.stringContaining("a fresh one is minted and written for the kubelet's next retry"),
      lastSeen: w.clock.date().toISOString(),
    });
    expect(w.cluster.events.map((e) => `${e.type} ${e.reason} ${e.involved}`)).toEqual([
      "Warning PullFailureReminted RegistryCredential/pull",
    ]);
    expect(w.cluster.events[0]?.message).toContain(`pod ${namespace}/app-1 cannot pull ${image}`);
    expect(await counters(w.metrics)).toEqual({
      "regcred_pull_failures_total{cause=CredentialsRefused,action=Reminted}": 1,
    });
  });

  it("keeps the rest of status as the credential sync wrote it", async () => {
    const w = await world(withRc());
    const before = w.rc()?.status;
    await w.sync("app-1", failingPod("app-1", { pullSecrets: ["pull"] }));
    const { pullFailures, ...rest } = w.rc()?.status ?? {};
    expect(rest).toEqual(before);
    expect(pullFailures).toHaveLength(1);
  });

  it("reports a fresh attempt refused again after the grace as PermissionDenied, with no second mint", async () => {
    const w = await world(withRc());
    w.clock.skip(1_000);
    await w.sync("app-1", failingPod("app-1", { pullSecrets: ["pull"] }));
    await w.syncCredential();
    w.clock.skip(20_000);
    await w.sync("app-1", failingPod("app-1", { pullSecrets: ["pull"], reason: "ErrImagePull" }));
    expect(w.request).toHaveBeenCalledTimes(1);
    expect(w.resync).toHaveBeenCalledTimes(1);
    expect(entries(w.rc()?.status?.pullFailures)).toEqual([
      `${namespace}/app-1 ${image} CredentialsRefused PermissionDenied`,
    ]);
    expect(w.rc()?.status?.pullFailures?.[0]?.message).toContain(
      "refused again after a fresh login was written, so the identity of spec.sources[0] may not pull this image",
    );
    // The fresh mint's own event sits between the two.
    expect(w.cluster.events.map((e) => e.reason)).toEqual([
      "PullFailureReminted",
      "TokenRefreshed",
      "PullFailure",
    ]);
  });

  it("keeps a pod waiting (Reminted), not PermissionDenied, until the fresh login is written", async () => {
    const w = await world(withRc());
    w.clock.skip(1_000);
    await w.sync("app-1", failingPod("app-1", { pullSecrets: ["pull"] }));
    // No credential sync: the fresh mint has not happened.
    w.clock.skip(20_000);
    await w.sync("app-1", failingPod("app-1", { pullSecrets: ["pull"], reason: "ErrImagePull" }));
    expect(entries(w.rc()?.status?.pullFailures)).toEqual([
      `${namespace}/app-1 ${image} CredentialsRefused Reminted`,
    ]);
  });

  it("writes nothing new for the kubelet's back-off within the minute, and asks for no mint", async () => {
    const w = await world(withRc());
    await w.sync("app-1", failingPod("app-1", { pullSecrets: ["pull"] }));
    w.clock.skip(20_000);
    await w.sync("app-1", failingPod("app-1", { pullSecrets: ["pull"], reason: "ImagePullBackOff" }));
    expect(w.request).toHaveBeenCalledTimes(1);
    expect(w.cluster.writes).toEqual(["patch-status RegistryCredential team-a/pull"]);
    expect(w.cluster.events).toHaveLength(1);
  });

  it("has a second pod of the identity wait for the first pod's mint", async () => {
    const w = await world(withRc());
    await w.sync("app-1", failingPod("app-1", { pullSecrets: ["pull"] }));
    await w.sync("app-2", failingPod("app-2", { pullSecrets: ["pull"] }));
    expect(w.request).toHaveBeenCalledTimes(1);
    expect(w.resync).toHaveBeenCalledTimes(1);
    expect(entries(w.rc()?.status?.pullFailures).sort()).toEqual([
      `${namespace}/app-1 ${image} CredentialsRefused Reminted`,
      `${namespace}/app-2 ${image} CredentialsRefused Reminted`,
    ]);
  });
});

describe("a pod holding the Secret that fails for another cause than a refused credential", () => {
  it.each<[string, string]>([
    ["a missing tag", `failed to pull and unpack image "${image}": ${host}/app:1: not found`],
    [
      "an unreachable registry",
      `failed to do request: Head "https://${host}/v2/app/manifests/1": dial tcp: i/o timeout`,
    ],
  ])("reports %s with the classifier's cause and asks for no mint", async (_name, message) => {
    const w = await world(withRc());
    const pod = failingPod("app-1", { pullSecrets: ["pull"], message });
    const [classified] = pullFailuresOf(pod);
    expect(classified?.cause).not.toBe("CredentialsRefused");
    await w.sync("app-1", pod);
    expect(w.request).not.toHaveBeenCalled();
    expect(w.resync).not.toHaveBeenCalled();
    const [entry] = w.rc()?.status?.pullFailures ?? [];
    expect(entry).toMatchObject({ cause: classified?.cause, action: "Reported" });
    expect(entry?.message).toBe(`${classified?.cause}: ${message}`);
    expect(w.cluster.events.map((e) => e.reason)).toEqual(["PullFailure"]);
  });
});

describe("a pod lacking the resource's Secret in imagePullSecrets", () => {
  it("is reported, never evicted, when the resource does not opt in", async () => {
    const w = await world(withRc({ serviceAccounts: { names: ["default"] } }));
    await w.sync("app-1", failingPod("app-1", { reason: "ImagePullBackOff" }));
    expect(w.evictions.createNamespacedPodEviction).not.toHaveBeenCalled();
    expect(w.request).not.toHaveBeenCalled();
    const [entry] = w.rc()?.status?.pullFailures ?? [];
    expect(entry?.action).toBe("Reported");
    expect(entry?.message).toContain("the pod lacks Secret pull in imagePullSecrets");
    expect(entry?.message).toContain("set spec.pullFailures.evictPodsMissingSecret to have it evicted");
  });

  it("is evicted where the resource opts in and its ServiceAccount lists the Secret", async () => {
    const w = await world(
      withRc({ serviceAccounts: { names: ["default"] }, pullFailures: { evictPodsMissingSecret: true } }),
    );
    await w.sync("app-1", failingPod("app-1", { reason: "ImagePullBackOff" }));
    expect(w.evictions.evicted).toEqual([`${namespace}/app-1`]);
    const [entry] = w.rc()?.status?.pullFailures ?? [];
    expect(entry?.action).toBe("Evicted");
    expect(entry?.message).toContain("evicted so that ReplicaSet app-7d9f recreates it with the Secret");
    expect(w.cluster.events.map((e) => e.reason)).toEqual(["PullFailureEvicted"]);
    expect(await counters(w.metrics)).toEqual({
      "regcred_pod_evictions_total{result=Evicted}": 1,
      "regcred_pull_failures_total{cause=CredentialsRefused,action=Evicted}": 1,
    });
  });

  it("is evicted at most once a minute", async () => {
    const w = await world(
      withRc({ serviceAccounts: { names: ["default"] }, pullFailures: { evictPodsMissingSecret: true } }),
    );
    w.evictions.refuseWith(429, "TooManyRequests");
    await w.sync("app-1", failingPod("app-1", { reason: "ImagePullBackOff" }));
    w.clock.skip(59_999);
    await w.sync("app-1");
    expect(w.evictions.createNamespacedPodEviction).toHaveBeenCalledTimes(1);
    w.clock.skip(1);
    await w.sync("app-1");
    expect(w.evictions.createNamespacedPodEviction).toHaveBeenCalledTimes(2);
    expect(entries(w.rc()?.status?.pullFailures)).toEqual([
      `${namespace}/app-1 ${image} CredentialsRefused EvictionRefused`,
    ]);
  });

  it("is evicted where its ServiceAccount does not list the Secret but pod admission adds it", async () => {
    const w = await world(
      withRc({ podAdmission: { enabled: true }, pullFailures: { evictPodsMissingSecret: true } }),
    );
    w.cluster.addServiceAccount(namespace, "builder");
    await w.sync("app-1", failingPod("app-1", { reason: "ImagePullBackOff", serviceAccountName: "builder" }));
    expect(w.evictions.evicted).toEqual([`${namespace}/app-1`]);
  });

  it("is reported, not evicted, while the resource's Secret is not in the namespace", async () => {
    const w = await world(
      withRc({ serviceAccounts: { names: ["default"] }, pullFailures: { evictPodsMissingSecret: true } }),
    );
    w.cluster.deleteForeignSecret(namespace, "pull");
    await w.sync("app-1", failingPod("app-1", { reason: "ImagePullBackOff" }));
    expect(w.evictions.evicted).toEqual([]);
    expect(w.rc()?.status?.pullFailures?.[0]?.message).toContain("the Secret is not there yet");
  });

  it.each<
    [
      string,
      { owned?: boolean; serviceAccountName?: string; pullSecrets?: string[]; message?: string },
      Partial<RegistryCredentialSpec>,
      string,
    ]
  >([
    [
      "is reported, not evicted, when it lists pull Secrets of its own (so it gets none of its ServiceAccount's) and pod admission is off",
      { pullSecrets: ["own-registry"] },
      { serviceAccounts: { names: ["default"] }, pullFailures: { evictPodsMissingSecret: true } },
      "the pod lists imagePullSecrets of its own",
    ],
    [
      "is reported, not evicted, when its image is missing rather than its credential refused",
      {
        message: `failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`,
      },
      { serviceAccounts: { names: ["default"] }, pullFailures: { evictPodsMissingSecret: true } },
      "NotFound",
    ],
    [
      "is reported, not evicted, when its ServiceAccount does not list the Secret and pod admission is off",
      { serviceAccountName: "builder" },
      { serviceAccounts: { names: ["default"] }, pullFailures: { evictPodsMissingSecret: true } },
      "not evicted, since a recreated pod would lack it too (ServiceAccount builder does not list it and spec.podAdmission is off)",
    ],
    [
      "is reported as NotEvictable when no controller owns it",
      { owned: false },
      { serviceAccounts: { names: ["default"] }, pullFailures: { evictPodsMissingSecret: true } },
      "no controller owns the pod",
    ],
  ])("%s", async (_name, pod, spec, words) => {
    const w = await world(withRc(spec));
    w.cluster.addServiceAccount(namespace, "builder");
    await w.sync("app-1", failingPod("app-1", { reason: "ImagePullBackOff", ...pod }));
    expect(w.evictions.evicted).toEqual([]);
    const [entry] = w.rc()?.status?.pullFailures ?? [];
    expect(entry?.action).toBe(pod.owned === false ? "NotEvictable" : "Reported");
    expect(entry?.message).toContain(words);
  });
});

describe("a pod failing to pull from a host no resource covers", () => {
  it("changes nothing: no status, event, mint or eviction", async () => {
    const w = await world(withRc({ pullFailures: { evictPodsMissingSecret: true } }));
    await w.sync("app-1", failingPod("app-1", { image: "quay.io/team/app:1", pullSecrets: ["pull"] }));
    expect(w.cluster.writes).toEqual([]);
    expect(w.cluster.events).toEqual([]);
    expect(w.request).not.toHaveBeenCalled();
    expect(w.resync).not.toHaveBeenCalled();
    expect(w.evictions.createNamespacedPodEviction).not.toHaveBeenCalled();
  });
});

describe("a pod that stops failing", () => {
  it.each<[string, (w: Awaited<ReturnType<typeof world>>) => void]>([
    ["because it is gone from the informer", (w) => w.pods.remove("app-1")],
    [
      "because its containers no longer wait on a pull",
      (w) => w.pods.put({ ...failingPod("app-1", { pullSecrets: ["pull"] }), status: { phase: "Running" } }),
    ],
  ])("leaves status %s, and the list goes when it empties", async (_name, recover) => {
    const w = await world(withRc());
    await w.sync("app-1", failingPod("app-1", { pullSecrets: ["pull"] }));
    await w.sync("app-2", failingPod("app-2", { pullSecrets: ["pull"] }));
    recover(w);
    await w.sync("app-1");
    expect(entries(w.rc()?.status?.pullFailures)).toEqual([
      `${namespace}/app-2 ${image} CredentialsRefused Reminted`,
    ]);
    w.pods.remove("app-2");
    await w.sync("app-2");
    expect(w.rc()?.status).not.toHaveProperty("pullFailures");
    expect(w.rc()?.status?.sources).toHaveLength(1);
  });

  it("writes nothing when status never listed it", async () => {
    const w = await world(withRc());
    await w.sync("app-1");
    expect(w.cluster.writes).toEqual([]);
  });
});

describe("a ClusterRegistryCredential selecting the pod's namespace", () => {
  it("counts like a RegistryCredential: its identity is minted afresh and its status records the failure", async () => {
    const w = await world(async (cluster, process) => {
      cluster.applyClusterCredential(clusterCredential("platform"));
      await process.syncClusterCredential("platform");
    });
    const identity = w.crc("platform")?.status?.sources?.[0]?.identity as string;
    await w.sync("app-1", failingPod("app-1", { pullSecrets: ["platform"] }));
    expect(w.request.mock.calls).toEqual([[identity]]);
    expect(w.resync.mock.calls[0]?.[0]?.credential.id).toBe("ClusterRegistryCredential/platform");
    expect(w.cluster.writes).toEqual(["patch-status ClusterRegistryCredential /platform"]);
    expect(entries(w.crc("platform")?.status?.pullFailures)).toEqual([
      `${namespace}/app-1 ${image} CredentialsRefused Reminted`,
    ]);
  });
});
