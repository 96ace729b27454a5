import { ApiException, type V1Pod } from "@kubernetes/client-node";
import type { LabelSelector } from "../../api/v1alpha1.js";
import { matchesSelector } from "../../kube/label-selector.js";
import type { DisruptionBudgetApi, EvictionApi } from "../../kube/ports.js";
import { errorText } from "../../util/error-text.js";

export interface EvictionOutcome {
  result: "Evicted" | "EvictionRefused" | "NotEvictable" | "Gone" | "Failed";
  message: string;
}

/**
 * The PodDisruptionBudget of `pod`'s namespace that selects it and allows no disruption now, if
 * any. The Eviction API ignores budgets for Pending pods (a pod stuck pulling is Pending), so the
 * operator reads them itself: a budget that allows no disruption means hands off.
 */
async function blockingBudget(api: DisruptionBudgetApi, pod: V1Pod): Promise<string | undefined> {
  const namespace = pod.metadata?.namespace as string;
  const budgets = await api.listNamespacedPodDisruptionBudget({ namespace });
  const blocking = budgets.items.find(
    (b) =>
      b.spec?.selector !== undefined &&
      matchesSelector(b.spec.selector as LabelSelector, pod.metadata?.labels) &&
      (b.status?.disruptionsAllowed ?? 0) < 1,
  );
  return blocking?.metadata?.name;
}

/**
 * Evicts `pod` so its controller recreates it, unless no controller owns it (NotEvictable: nothing
 * would recreate it, so it is left alone) or a PodDisruptionBudget selecting it allows no
 * disruption (EvictionRefused, read from the budget's status, or the Eviction API's 429). A pod
 * already gone answers 404 (Gone). Never deletes a pod any other way; never throws (another
 * failure is Failed, with the apiserver's message).
 */
export async function evictPod(
  api: EvictionApi,
  budgets: DisruptionBudgetApi,
  pod: V1Pod,
): Promise<EvictionOutcome> {
  const { name, namespace } = pod.metadata as { name: string; namespace: string };
  const owner = pod.metadata?.ownerReferences?.find((r) => r.controller);
  if (!owner)
    return {
      result: "NotEvictable",
      message: "no controller owns the pod, so nothing would recreate it; delete and recreate it yourself",
    };
  try {
    const budget = await blockingBudget(budgets, pod);
    if (budget)
      return {
        result: "EvictionRefused",
        message: `PodDisruptionBudget ${budget} allows no disruption now, so the pod was left as it is`,
      };
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
        message: "a PodDisruptionBudget allows no disruption now; the pod was left as it is",
      };
    if (error instanceof ApiException && error.code === 404)
      return { result: "Gone", message: "the pod was already gone" };
    return { result: "Failed", message: `evicting failed: ${errorText(error)}` };
  }
}
