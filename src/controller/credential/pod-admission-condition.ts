import type { PodAdmissionProblem } from "../../admission/pod-admission.js";
import type { PodAdmission } from "../../api/v1alpha1.js";
import type { ConditionUpdate } from "./conditions.js";

export const podAdmissionConditionType = "PodAdmission";

/** What the operator's webhook covers, for telling a resource that asks for it where it will not act. */
export interface WebhookCoverage {
  /** Whether this operator serves the webhook at all (--webhook-port). */
  served: boolean;
  /** Namespaces whose pods are never sent to it. */
  excludedNamespaces: readonly string[];
}

/**
 * The PodAdmission condition of a resource whose Secret is written, targeting `namespaces`: null
 * when the resource does not ask for pod admission (the condition is then removed). False with the
 * `problem`'s reason when its policy is unavailable or could not be written, or with
 * PodAdmissionUnavailable when the webhook is not served or excludes some of `namespaces`; True
 * otherwise. The Ready condition is about the Secret and does not change with it.
 */
export function podAdmissionCondition(
  spec: PodAdmission | undefined,
  secretName: string,
  namespaces: readonly string[],
  problem: PodAdmissionProblem | undefined,
  webhook: WebhookCoverage,
): ConditionUpdate | null {
  if (!spec?.enabled) return null;
  const mechanism = spec.mechanism ?? "AdmissionPolicy";
  if (problem)
    return {
      type: podAdmissionConditionType,
      status: "False",
      reason: problem.reason,
      message: problem.message,
    };
  if (mechanism === "Webhook") {
    if (!webhook.served)
      return {
        type: podAdmissionConditionType,
        status: "False",
        reason: "PodAdmissionUnavailable",
        message:
          "mechanism Webhook asks for the operator's webhook, which this operator does not serve (start it with --webhook-port, chart value webhook.enabled); use mechanism AdmissionPolicy, or serviceAccounts",
      };
    const excluded = namespaces.filter((ns) => webhook.excludedNamespaces.includes(ns));
    if (excluded.length > 0)
      return {
        type: podAdmissionConditionType,
        status: "False",
        reason: "PodAdmissionUnavailable",
        message: `pods in ${excluded.join(", ")} are never sent to the webhook (it leaves out ${webhook.excludedNamespaces.join(" and ")}); use mechanism AdmissionPolicy, or serviceAccounts, there`,
      };
  }
  return {
    type: podAdmissionConditionType,
    status: "True",
    reason: "Applied",
    message: `new pods get Secret ${secretName} at admission (${mechanism === "Webhook" ? "the operator's webhook" : "a MutatingAdmissionPolicy"})`,
  };
}
