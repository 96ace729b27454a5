import type {
  AdmissionregistrationV1Api,
  V1LabelSelector,
  V1MutatingAdmissionPolicy,
} from "@kubernetes/client-node";
import type { PodAdmission } from "../api/v1alpha1.js";
import type { Informer } from "../kube/informer.js";
import { ownerKey, type SecretOwner } from "../secrets/ownership.js";
import { errorText } from "../util/error-text.js";
import {
  admissionPolicyName,
  deleteAdmissionPolicy,
  ensureAdmissionPolicy,
  policyOwnerAnnotation,
} from "./admission-policy.js";

/**
 * Why a resource's pod admission does not take effect: Unavailable when the cluster or this
 * install cannot serve the mechanism at all, Failed when writing its policy failed.
 */
export interface PodAdmissionProblem {
  reason: "PodAdmissionUnavailable" | "PodAdmissionFailed";
  message: string;
}

/** Where MutatingAdmissionPolicies can be used, and if not, why not (for the user's message). */
export type AdmissionPolicySupport =
  | { available: true; policies: Informer<V1MutatingAdmissionPolicy> }
  | { available: false; reason: string };

/**
 * Keeps each credential resource's MutatingAdmissionPolicy (podAdmission mechanism
 * AdmissionPolicy) in line with its spec. Which policies exist, and whose they are, it reads from
 * a cache of the policies carrying the operator's label (their owner annotation names the
 * resource), never from what this process happens to remember: a replica that became leader, or
 * started while the apiserver was unreachable, cleans up alike. The webhook's targets are not
 * kept here: every replica derives them from its caches (WebhookTargets).
 */
export class PodAdmissionSync {
  constructor(
    /** Write-guarded under leader election, like every client the controllers write through. */
    private readonly api: AdmissionregistrationV1Api,
    private readonly support: AdmissionPolicySupport,
  ) {}

  /**
   * Applies the resource's podAdmission: ensures its policy when it asks for mechanism
   * AdmissionPolicy, else removes any policy it has. `selectors` are the namespace selectors of
   * its targets. Returns the problem when the policy is unavailable or could not be written (the
   * caller reports it), undefined otherwise. Throws ApiException when a removal fails.
   */
  async apply(
    owner: SecretOwner,
    spec: PodAdmission | undefined,
    secretName: string,
    selectors: V1LabelSelector[],
  ): Promise<PodAdmissionProblem | undefined> {
    const wanted = spec?.enabled && (spec.mechanism ?? "AdmissionPolicy") === "AdmissionPolicy";
    if (!wanted) {
      await this.remove(ownerKey(owner));
      return undefined;
    }
    if (!this.support.available)
      return {
        reason: "PodAdmissionUnavailable",
        message: `pod admission through a MutatingAdmissionPolicy is not available: ${this.support.reason}; use mechanism: Webhook`,
      };
    try {
      await ensureAdmissionPolicy(this.api, owner, secretName, selectors);
    } catch (error) {
      return {
        reason: "PodAdmissionFailed",
        message: `pod admission through a MutatingAdmissionPolicy failed: ${errorText(error)}`,
      };
    }
    return undefined;
  }

  /**
   * Removes every policy (and its bindings) whose owner annotation names `key` ("Kind/namespace/name"),
   * whatever uid it was made for: also after the resource is gone. Throws ApiException.
   */
  async remove(key: string): Promise<void> {
    for (const policy of this.policies().filter(
      (p) => p.metadata?.annotations?.[policyOwnerAnnotation] === key,
    ))
      await deleteAdmissionPolicy(this.api, policy.metadata?.name as string);
  }

  /**
   * Removes the policies no live resource owns: those whose owner annotation names no resource
   * `live` knows, or a resource whose policy has another name (an earlier one of the same name).
   * For the start of leadership, after resources were deleted while no controller ran. Throws ApiException.
   */
  async removeOrphans(live: (key: string) => SecretOwner | undefined): Promise<string[]> {
    const removed: string[] = [];
    for (const policy of this.policies()) {
      const name = policy.metadata?.name as string;
      const owner = live(policy.metadata?.annotations?.[policyOwnerAnnotation] ?? "");
      if (owner && admissionPolicyName(owner) === name) continue;
      await deleteAdmissionPolicy(this.api, name);
      removed.push(name);
    }
    return removed;
  }

  private policies(): readonly V1MutatingAdmissionPolicy[] {
    return this.support.available ? this.support.policies.list() : [];
  }
}
