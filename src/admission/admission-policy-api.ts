import type { AdmissionregistrationV1Api } from "@kubernetes/client-node";
import { isNotFound } from "../kube/errors.js";

export type AdmissionPolicyAvailability = { available: true } | { available: false; reason: string };

/**
 * Whether the operator can use MutatingAdmissionPolicies: it watches the whole cluster and the
 * apiserver serves them (admissionregistration.k8s.io/v1, GA in Kubernetes 1.36), from API discovery. Throws ApiException for failures other than the group
 * version being absent, so that a transient error fails the start instead of disabling the mechanism.
 */
export async function discoverAdmissionPolicies(
  api: AdmissionregistrationV1Api,
  watchNamespace?: string,
): Promise<AdmissionPolicyAvailability> {
  // MutatingAdmissionPolicies are cluster-scoped: a single-namespace install has no rights to them.
  if (watchNamespace)
    return {
      available: false,
      reason: `the operator watches only namespace ${watchNamespace}, and MutatingAdmissionPolicies are cluster-scoped`,
    };
  const absent: AdmissionPolicyAvailability = {
    available: false,
    reason: "this cluster serves no MutatingAdmissionPolicy API (it needs Kubernetes 1.36 or later)",
  };
  try {
    const list = await api.getAPIResources();
    return list.resources.some((r) => r.name === "mutatingadmissionpolicies") ? { available: true } : absent;
  } catch (error) {
    if (isNotFound(error)) return absent;
    throw error;
  }
}
