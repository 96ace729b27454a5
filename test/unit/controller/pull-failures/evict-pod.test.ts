import { describe, expect, it, jest } from "@jest/globals";
import { ApiException, type V1OwnerReference, type V1Pod } from "@kubernetes/client-node";
import { type EvictionOutcome, evictPod } from "../../../../src/controller/pull-failures/evict-pod.js";
import type { EvictionApi } from "../../../../src/kube/ports.js";

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
    metadata: { name: "app-7d9f-x2", namespace: "team-a", ...(ownerReferences ? { ownerReferences } : {}) },
  };
}

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
  it("evicts a controller-owned pod through the Eviction API, naming its controller", async () => {
    const api = evictions();
    const outcome = await evictPod(api, pod([replicaSet]));
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
    const outcome = await evictPod(api, pod(owners));
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
        message: "a PodDisruptionBudget allows no disruption now; the pod was left running",
      },
    ],
    [
      "a pod already gone (404) is Gone",
      status(404, "NotFound", 'pods "app-7d9f-x2" not found'),
      { result: "Gone", message: "the pod was already gone" },
    ],
  ])("%s", async (_name, error, expected) => {
    expect(await evictPod(evictions(error), pod([replicaSet]))).toEqual(expected);
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
    const outcome = await evictPod(evictions(error), pod([replicaSet]));
    expect(outcome.result).toBe("Failed");
    expect(outcome.message).toMatch(/^evicting failed: /);
    expect(outcome.message).toContain(words);
  });
});
