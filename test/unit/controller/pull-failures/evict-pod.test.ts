import { describe, expect, it, jest } from "@jest/globals";
import { ApiException, type V1OwnerReference, type V1Pod } from "@kubernetes/client-node";
import { type EvictionOutcome, evictPod } from "../../../../src/controller/pull-failures/evict-pod.js";
import type { DisruptionBudgetApi, EvictionApi } from "../../../../src/kube/ports.js";

const status = (code: number, reason: string, message: string) =>
  new ApiException(code, reason, JSON.stringify({ kind: "Status", code, reason, message }), {});

const replicaSet: V1OwnerReference = {
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  name: "app-7d9f",
  uid: "uid-rs",
  controller: true,
};

function pod(ownerReferences?: V1OwnerReference[]): V1Pod {
  return {
    metadata: {
      name: "app-7d9f-x2",
      namespace: "team-a",
      labels: { app: "web" },
      ...(ownerReferences ? { ownerReferences } : {}),
    },
  };
}

interface Budget {
  name: string;
  matchLabels?: Record<string, string>;
  disruptionsAllowed?: number;
}

/** The namespace's PodDisruptionBudgets, as the policy API lists them. */
function budgets(...list: Budget[]): DisruptionBudgetApi & { listNamespacedPodDisruptionBudget: jest.Mock } {
  const api = {
    listNamespacedPodDisruptionBudget: jest.fn(async () => ({
      items: list.map((b) => ({
        metadata: { name: b.name },
        spec: b.matchLabels ? { selector: { matchLabels: b.matchLabels } } : {},
        ...(b.disruptionsAllowed === undefined
          ? {}
          : { status: { disruptionsAllowed: b.disruptionsAllowed } }),
      })),
    })),
  };
  return api as never;
}

const none = budgets();

/** An Eviction API answering with `error` (or accepting), recording what it was sent. */
function evictions(error?: unknown) {
  const api = {
    createNamespacedPodEviction: jest.fn(async (_request: unknown) => {
      if (error) throw error;
      return {};
    }),
  };
  return api as typeof api & EvictionApi;
}

describe("evictPod", () => {
  it.each<[string, Budget[], EvictionOutcome["result"]]>([
    [
      "a budget selecting the pod that allows no disruption refuses it",
      [{ name: "web", matchLabels: { app: "web" }, disruptionsAllowed: 0 }],
      "EvictionRefused",
    ],
    [
      "a budget not yet computed (no status) refuses it",
      [{ name: "web", matchLabels: { app: "web" } }],
      "EvictionRefused",
    ],
    [
      "a budget that allows a disruption lets it go",
      [{ name: "web", matchLabels: { app: "web" }, disruptionsAllowed: 1 }],
      "Evicted",
    ],
    [
      "a budget selecting other pods lets it go",
      [{ name: "db", matchLabels: { app: "db" }, disruptionsAllowed: 0 }],
      "Evicted",
    ],
    ["a budget without a selector selects nothing", [{ name: "odd", disruptionsAllowed: 0 }], "Evicted"],
  ])(
    "reads budgets itself, since the Eviction API ignores them for Pending pods: %s",
    async (_name, list, result) => {
      const api = evictions();
      const outcome = await evictPod(api, budgets(...list), pod([replicaSet]));
      expect(outcome.result).toBe(result);
      expect(api.createNamespacedPodEviction).toHaveBeenCalledTimes(result === "Evicted" ? 1 : 0);
      if (result === "EvictionRefused")
        expect(outcome.message).toContain(`PodDisruptionBudget ${list[0]?.name}`);
    },
  );

  it("evicts a controller-owned pod through the Eviction API, naming its controller", async () => {
    const api = evictions();
    const outcome = await evictPod(api, none, pod([replicaSet]));
    expect(outcome).toEqual({
      result: "Evicted",
      message: "evicted so that ReplicaSet app-7d9f recreates it with the Secret",
    });
    expect(api.createNamespacedPodEviction).toHaveBeenCalledTimes(1);
    expect(api.createNamespacedPodEviction).toHaveBeenCalledWith({
      name: "app-7d9f-x2",
      namespace: "team-a",
      body: {
        apiVersion: "policy/v1",
        kind: "Eviction",
        metadata: { name: "app-7d9f-x2", namespace: "team-a" },
      },
    });
  });

  it.each<[string, V1OwnerReference[] | undefined]>([
    ["a bare pod", undefined],
    ["a pod whose only owner is not its controller", [{ ...replicaSet, controller: false }]],
    ["a pod whose owner does not say it is its controller", [{ ...replicaSet, controller: undefined }]],
  ])("leaves %s alone without calling the API", async (_name, owners) => {
    const api = evictions();
    const outcome = await evictPod(api, none, pod(owners));
    expect(outcome.result).toBe("NotEvictable");
    expect(outcome.message).toContain("no controller owns the pod");
    expect(api.createNamespacedPodEviction).not.toHaveBeenCalled();
  });

  it.each<[string, unknown, EvictionOutcome]>([
    [
      "a PodDisruptionBudget allowing no disruption (429) is EvictionRefused",
      status(429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget."),
      {
        result: "EvictionRefused",
        message: "a PodDisruptionBudget allows no disruption now; the pod was left as it is",
      },
    ],
    [
      "a pod already gone (404) is Gone",
      status(404, "NotFound", 'pods "app-7d9f-x2" not found'),
      { result: "Gone", message: "the pod was already gone" },
    ],
  ])("%s", async (_name, error, expected) => {
    expect(await evictPod(evictions(error), none, pod([replicaSet]))).toEqual(expected);
  });

  it.each<[string, unknown, string]>([
    [
      "an apiserver error (500)",
      status(500, "InternalError", "etcdserver: request timed out"),
      "etcdserver: request timed out",
    ],
    [
      "a refusal by RBAC (403)",
      status(403, "Forbidden", 'pods "app-7d9f-x2" is forbidden: cannot create pods/eviction'),
      "cannot create pods/eviction",
    ],
    ["a network error", new Error("connect ECONNREFUSED 10.0.0.1:443"), "ECONNREFUSED"],
  ])("reports %s as Failed with the apiserver's words, without throwing", async (_name, error, words) => {
    const outcome = await evictPod(evictions(error), none, pod([replicaSet]));
    expect(outcome.result).toBe("Failed");
    expect(outcome.message).toMatch(/^evicting failed: /);
    expect(outcome.message).toContain(words);
  });
});
