import { ApiException, type CoreV1Api, type V1Secret, type V1ServiceAccount } from "@kubernetes/client-node";
import type { DeletionPolicy, ServiceAccountSelection } from "../../api/v1alpha1.js";
import type { Informer } from "../../kube/informer.js";
import type { OperatorMetrics } from "../../metrics/metrics.js";
import { ownerKey as keyOfOwner, type SecretOwner } from "../../secrets/ownership.js";
import {
  deleteManagedSecret,
  releaseManagedSecret,
  writeManagedSecret,
} from "../../secrets/secret-writer.js";
import type { OperatorKey } from "../../security/operator-key.js";
import { ensurePullSecret, pullSecretAnnotation } from "../../serviceaccounts/pull-secret-patch.js";
import { type AccountsOutcome, reconcileServiceAccounts } from "../../serviceaccounts/reconcile-accounts.js";
import { errorText } from "../../util/error-text.js";

/** What a ClusterRegistryCredential writes into each namespace, fixed by its last full sync. */
export interface FanOutPlan {
  uid: string;
  generation: number;
  owner: SecretOwner;
  secretName: string;
  /** The desired Secret for a namespace. */
  secretFor(namespace: string): V1Secret;
  accounts: ServiceAccountSelection | undefined;
  deletionPolicy: DeletionPolicy;
}

export interface FanOutClients {
  core: CoreV1Api;
  secrets: Informer<V1Secret>;
  serviceAccounts: Informer<V1ServiceAccount>;
  metrics: OperatorMetrics;
  key: OperatorKey;
}

export type NamespaceResult = { ok: true } | { ok: false; reason: string; message: string };

function countPatches(metrics: OperatorMetrics, outcome: AccountsOutcome): void {
  if (outcome.patched) metrics.serviceAccountPatches.inc({ operation: "add" }, outcome.patched);
  if (outcome.unpatched) metrics.serviceAccountPatches.inc({ operation: "remove" }, outcome.unpatched);
}

/** Whether the selection names the `default` account (or all accounts) outright. */
function selectsDefaultByName(selection: ServiceAccountSelection | undefined): boolean {
  return !!selection && (selection.all === true || (selection.names?.includes("default") ?? false));
}

/**
 * Creates the namespace's `default` ServiceAccount already listing the Secret, when it does not
 * exist yet. The controller manager creates `default` a moment after the namespace; creating it
 * first means no pod can be admitted under an unpatched `default`. Losing that race is harmless:
 * the account it created is patched like any other. Call only once the Secret is the owner's.
 */
async function precreateDefaultAccount(
  clients: FanOutClients,
  namespace: string,
  plan: FanOutPlan,
): Promise<void> {
  if (clients.serviceAccounts.get("default", namespace)) return;
  try {
    await clients.core.createNamespacedServiceAccount({
      namespace,
      body: {
        metadata: {
          name: "default",
          annotations: { [pullSecretAnnotation(plan.secretName)]: keyOfOwner(plan.owner) },
        },
        imagePullSecrets: [{ name: plan.secretName }],
      },
    });
  } catch (error) {
    if (!(error instanceof ApiException) || error.code !== 409) throw error;
    const existing = await clients.core.readNamespacedServiceAccount({ name: "default", namespace });
    await ensurePullSecret(clients.core, existing, plan.secretName, keyOfOwner(plan.owner));
  }
}

/**
 * Makes one target namespace hold the plan's Secret, then patches its selected ServiceAccounts
 * (creating `default` when it is selected by name and missing). ServiceAccounts are touched only
 * once the Secret of that name is this owner's, so none is ever pointed at someone else's Secret.
 * Never throws: a conflict or API failure is returned as that namespace's result (reason
 * InvalidSpec when the apiserver rejects the Secret as invalid), so one namespace cannot stop the others.
 */
export async function ensureNamespace(
  clients: FanOutClients,
  plan: FanOutPlan,
  namespace: string,
): Promise<NamespaceResult> {
  try {
    const outcome = await writeManagedSecret(
      clients.core,
      clients.secrets.get(plan.secretName, namespace),
      plan.secretFor(namespace),
      plan.owner,
    );
    if (outcome.kind === "conflict") return { ok: false, reason: "SecretConflict", message: outcome.message };
    if (outcome.kind === "rejected") return { ok: false, reason: "InvalidSpec", message: outcome.message };
    if (outcome.kind !== "unchanged") {
      clients.metrics.secretWrites.inc({ operation: outcome.kind === "created" ? "create" : "update" });
    }
    if (selectsDefaultByName(plan.accounts)) await precreateDefaultAccount(clients, namespace, plan);
    const accounts = await reconcileServiceAccounts(
      clients.core,
      clients.serviceAccounts.list(namespace),
      plan.accounts,
      plan.secretName,
      keyOfOwner(plan.owner),
      true,
    );
    countPatches(clients.metrics, accounts);
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: "WriteFailed", message: errorText(error) };
  }
}

/**
 * Undoes the plan in a namespace that left the selection (or on deletion): unpatches the
 * ServiceAccounts the owner patched, then deletes the owner's Secret (Delete) or strips its marks
 * (Retain) when the managed-Secret cache holds one there. Secrets and entries of anyone else are
 * never touched. Throws API errors.
 */
export async function cleanupNamespace(
  clients: FanOutClients,
  owner: SecretOwner,
  secretName: string,
  deletionPolicy: DeletionPolicy,
  namespace: string,
): Promise<void> {
  countPatches(
    clients.metrics,
    await reconcileServiceAccounts(
      clients.core,
      clients.serviceAccounts.list(namespace),
      undefined,
      secretName,
      keyOfOwner(owner),
      false,
    ),
  );
  if (!clients.secrets.get(secretName, namespace)) return;
  const changed =
    deletionPolicy === "Delete"
      ? await deleteManagedSecret(clients.core, namespace, secretName, owner, clients.key)
      : await releaseManagedSecret(clients.core, namespace, secretName, owner, clients.key);
  if (changed)
    clients.metrics.secretWrites.inc({ operation: deletionPolicy === "Delete" ? "delete" : "release" });
}

/** Runs `work` over items with at most `concurrency` in flight; resolves with results in item order. */
export async function runPool<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
