import type { AdmissionregistrationV1Api, V1LabelSelector, V1Namespace } from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { PodAdmission } from "../api/v1alpha1.js";
import type { PodAdmissionTargets } from "../controller/pod-admission-targets.js";
import { managedByLabel, managedByValue, ownerKey, type SecretOwner } from "../secrets/ownership.js";
import { errorText } from "../util/error-text.js";
import { admissionPolicyName, deleteAdmissionPolicy, ensureAdmissionPolicy } from "./admission-policy.js";

/**
 * Keeps each credential resource's pod admission in line with its spec: a MutatingAdmissionPolicy
 * (mechanism AdmissionPolicy), the webhook's targets (mechanism Webhook), or neither. Knows which
 * policies exist, so resources that never opted in cost no API calls.
 */
export class PodAdmissionSync {
  private readonly policies = new Set<string>();

  constructor(
    private readonly api: AdmissionregistrationV1Api,
    private readonly webhookTargets: PodAdmissionTargets,
    private readonly logger: Logger,
  ) {}

  /** Learns which policies this operator created earlier. A cluster without the API has none. */
  async init(): Promise<void> {
    try {
      const list = await this.api.listMutatingAdmissionPolicy({
        labelSelector: `${managedByLabel}=${managedByValue}`,
      });
      for (const policy of list.items) this.policies.add(policy.metadata?.name as string);
    } catch (error) {
      this.logger.info(
        { err: errorText(error) },
        "MutatingAdmissionPolicy API unavailable; only the webhook can inject",
      );
    }
  }

  /**
   * Applies the resource's podAdmission. `selects` decides the webhook's namespaces; `selectors` are
   * the equivalent namespace selectors for the policy. Returns a problem description when the policy
   * could not be written (the caller reports it), undefined otherwise.
   */
  async apply(
    owner: SecretOwner,
    spec: PodAdmission | undefined,
    secretName: string,
    selects: (namespace: V1Namespace) => boolean,
    selectors: V1LabelSelector[],
  ): Promise<string | undefined> {
    const key = ownerKey(owner);
    const mechanism = spec?.enabled ? (spec.mechanism ?? "AdmissionPolicy") : undefined;
    if (mechanism === "Webhook") this.webhookTargets.set(key, selects, secretName);
    else this.webhookTargets.removeOwner(key);
    if (mechanism === "AdmissionPolicy") {
      try {
        await ensureAdmissionPolicy(this.api, owner, secretName, selectors);
        this.policies.add(admissionPolicyName(owner));
      } catch (error) {
        return `pod admission through a MutatingAdmissionPolicy failed (it needs Kubernetes 1.36 or later; use mechanism: Webhook otherwise): ${errorText(error)}`;
      }
      return undefined;
    }
    await this.removePolicy(owner);
    return undefined;
  }

  /** Removes the resource's policy (if any) and webhook targets. */
  async remove(owner: SecretOwner): Promise<void> {
    this.webhookTargets.removeOwner(ownerKey(owner));
    await this.removePolicy(owner);
  }

  private async removePolicy(owner: SecretOwner): Promise<void> {
    const name = admissionPolicyName(owner);
    if (!this.policies.has(name)) return;
    await deleteAdmissionPolicy(this.api, owner);
    this.policies.delete(name);
  }
}
