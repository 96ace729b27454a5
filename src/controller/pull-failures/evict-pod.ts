import { ApiException, type V1Pod } from "@kubernetes/client-node";
import type { EvictionApi } from "../../kube/ports.js";
import { errorText } from "../../util/error-text.js";

export interface EvictionOutcome {
  result: "Evicted" | "EvictionRefused" | "NotEvictable" | "Gone" | "Failed";
  message: string;
}

/**
 * Evicts `pod` so its controller recreates it, unless no controller owns it (NotEvictable: nothing
 * would recreate it, so it is left alone). A PodDisruptionBudget that allows no disruption answers
 * 429 (EvictionRefused); a pod already gone, 404 (Gone). Never deletes a pod any other way; never
 * throws (another failure is Failed, with the apiserver's message).
 */
export async function evictPod(api: EvictionApi, pod: V1Pod): Promise<EvictionOutcome> {
  const { name, namespace } = pod.metadata as { name: string; namespace: string };
  const owner = pod.metadata?.ownerReferences?.find((r) => r.controller);
  if (!owner)
    return {
      result: "NotEvictable",
      message: "no controller owns the pod, so nothing would recreate it; delete and recreate it yourself",
    };
  try {
    await api.createNamespacedPodEviction({
      name,
      namespace,
      body: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace } },
    });
    return {
      result: "Evicted",
      message: `evicted so that ${owner.kind} ${owner.name} recreates it with the Secret`,
    };
  } catch (error) {
    if (error instanceof ApiException && error.code === 429)
      return {
        result: "EvictionRefused",
        message: "a PodDisruptionBudget allows no disruption now; the pod was left running",
      };
    if (error instanceof ApiException && error.code === 404)
      return { result: "Gone", message: "the pod was already gone" };
    return { result: "Failed", message: `evicting failed: ${errorText(error)}` };
  }
}
