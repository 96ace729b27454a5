import type { V1Secret } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { type DeletionPolicy, readyReasons, type ServiceAccountSelection } from "../../api/v1alpha1.js";
import { isConflict } from "../../kube/errors.js";
import { ownerKey, type SecretOwner } from "../../secrets/ownership.js";
import {
  deleteManagedSecret,
  releaseManagedSecret,
  writeManagedSecret,
} from "../../secrets/secret-writer.js";
import { ensurePullSecret, pullSecretAnnotation } from "../../serviceaccounts/pull-secret-patch.js";
import { reconcileServiceAccounts } from "../../serviceaccounts/reconcile-accounts.js";
import { errorText } from "../../util/error-text.js";
import type { ControllerContext } from "./context.js";

/** What a credential resource writes into each target namespace, fixed by its last full sync. */
export interface TargetPlan {
  uid: string;
  generation: number;
  owner: SecretOwner;
  secretName: string;
  /** The desired Secret for a namespace. */
  secretFor(namespace: string): V1Secret;
  accounts: ServiceAccountSelection | undefined;
  deletionPolicy: DeletionPolicy;
}

export type TargetResult =
  | { ok: true; wrote?: "created" | "updated" }
  /** `held`: the namespace holds the owner's Secret all the same (only its ServiceAccounts failed). */
  | { ok: false; reason: string; message: string; held?: boolean };

/**
 * The last plan and the per-namespace results of each resource, by owner key: owned by the
 * resource's controller, read and written by its full syncs and its namespace-level syncs.
 */
export class TargetState {
  readonly plans = new Map<string, TargetPlan>();
  readonly results = new Map<string, Map<string, TargetResult>>();

  /** The results of a resource, created empty when it has none. */
  resultsOf(owner: string): Map<string, TargetResult> {
    let results = this.results.get(owner);
    if (!results) {
      results = new Map();
      this.results.set(owner, results);
    }
    return results;
  }

  forget(owner: string): void {
    this.plans.delete(owner);
    this.results.delete(owner);
  }
}

type TargetContext = Pick<
  ControllerContext,
  "kube" | "informers" | "metrics" | "key" | "createsDefaultServiceAccounts"
>;

/** reconcileServiceAccounts over the namespace's cached accounts, its patches counted. Throws API errors. */
async function pointAccounts(
  ctx: TargetContext,
  owner: SecretOwner,
  secretName: string,
  selection: ServiceAccountSelection | undefined,
  namespace: string,
  want: "present" | "absent",
): Promise<void> {
  const accounts = ctx.informers.serviceAccounts.list(namespace);
  const outcome = await reconcileServiceAccounts(
    ctx.kube.core,
    accounts,
    selection,
    secretName,
    ownerKey(owner),
    want,
  );
  if (outcome.patched) ctx.metrics.serviceAccountPatches.inc({ operation: "add" }, outcome.patched);
  if (outcome.unpatched) ctx.metrics.serviceAccountPatches.inc({ operation: "remove" }, outcome.unpatched);
}

/** Whether the selection names the `default` account (or all accounts) outright. */
function selectsDefaultByName(selection: ServiceAccountSelection | undefined): boolean {
  return !!selection && (selection.all === true || (selection.names?.includes("default") ?? false));
}

/**
 * Creates the namespace's `default` ServiceAccount already listing the Secret, when it does not
 * exist yet. The controller manager creates `default` a moment after the namespace; creating it
 * first means no pod can be admitted under an unpatched `default`. Losing that race is harmless:
 * the account it created is patched like any other. A refusal (no right to create ServiceAccounts,
 * a quota) is that namespace's failure. Call only once the Secret is the owner's.
 */
async function precreateDefaultAccount(
  ctx: TargetContext,
  namespace: string,
  owner: SecretOwner,
  secretName: string,
): Promise<void> {
  if (ctx.informers.serviceAccounts.get("default", namespace)) return;
  try {
    await ctx.kube.core.createNamespacedServiceAccount({
      namespace,
      body: {
        metadata: { name: "default", annotations: { [pullSecretAnnotation(secretName)]: ownerKey(owner) } },
        imagePullSecrets: [{ name: secretName }],
      },
    });
  } catch (error) {
    if (!isConflict(error)) throw error;
    const existing = await ctx.kube.core.readNamespacedServiceAccount({ name: "default", namespace });
    await ensurePullSecret(ctx.kube.core, existing, secretName, ownerKey(owner));
  }
}

/**
 * Points the namespace's selected ServiceAccounts at the owner's Secret (creating `default` when it
 * is selected by name and missing) and unpoints the ones that left the selection. Call only once
 * the Secret of that name is this owner's, so no account is pointed at someone else's Secret.
 * Throws API errors.
 */
export async function ensureAccounts(
  ctx: TargetContext,
  owner: SecretOwner,
  secretName: string,
  accounts: ServiceAccountSelection | undefined,
  namespace: string,
): Promise<void> {
  if (ctx.createsDefaultServiceAccounts && selectsDefaultByName(accounts))
    await precreateDefaultAccount(ctx, namespace, owner, secretName);
  await pointAccounts(ctx, owner, secretName, accounts, namespace, "present");
}

/**
 * Makes one target namespace hold the plan's Secret, then its ServiceAccounts (ensureAccounts).
 * Never throws: a conflict or API failure is returned as that namespace's result (reason
 * InvalidSpec when the apiserver rejects the Secret as invalid), so one namespace cannot stop the others.
 */
export async function ensureTarget(
  ctx: TargetContext,
  plan: TargetPlan,
  namespace: string,
  logger: Logger,
): Promise<TargetResult> {
  let outcome: Awaited<ReturnType<typeof writeManagedSecret>>;
  try {
    outcome = await writeManagedSecret(
      ctx.kube.core,
      ctx.informers.secrets.get(plan.secretName, namespace),
      plan.secretFor(namespace),
      plan.owner,
    );
  } catch (error) {
    return { ok: false, reason: readyReasons.writeFailed, message: errorText(error) };
  }
  if (outcome.kind === "conflict")
    return { ok: false, reason: readyReasons.secretConflict, message: outcome.message };
  if (outcome.kind === "rejected")
    return { ok: false, reason: readyReasons.invalidSpec, message: outcome.message };
  if (outcome.kind !== "unchanged") {
    ctx.metrics.secretWrites.inc({ operation: outcome.kind === "created" ? "create" : "update" });
    logger.debug({ namespace, secret: plan.secretName }, `secret ${outcome.kind}`);
  }
  try {
    await ensureAccounts(ctx, plan.owner, plan.secretName, plan.accounts, namespace);
  } catch (error) {
    return { ok: false, reason: readyReasons.writeFailed, message: errorText(error), held: true };
  }
  return outcome.kind === "unchanged" ? { ok: true } : { ok: true, wrote: outcome.kind };
}

/**
 * Undoes the owner's work in a namespace that left the selection (or on deletion): unpatches the
 * ServiceAccounts the owner patched, then deletes the owner's Secret (Delete) or strips its marks
 * (Retain) when the managed-Secret cache holds one there, or whatever the cache holds when `live`
 * (the Secret is then read from the apiserver: one the cache left out, or has not seen yet).
 * Secrets and entries of anyone else are never touched (the writer checks marks and signature).
 * Throws API errors.
 */
export async function cleanupTarget(
  ctx: TargetContext,
  owner: SecretOwner,
  secretName: string,
  deletionPolicy: DeletionPolicy,
  namespace: string,
  live = false,
): Promise<void> {
  await pointAccounts(ctx, owner, secretName, undefined, namespace, "absent");
  if (!live && !ctx.informers.secrets.get(secretName, namespace)) return;
  const changed =
    deletionPolicy === "Delete"
      ? await deleteManagedSecret(ctx.kube.core, namespace, secretName, owner, ctx.key)
      : await releaseManagedSecret(ctx.kube.core, namespace, secretName, owner, ctx.key);
  if (changed)
    ctx.metrics.secretWrites.inc({ operation: deletionPolicy === "Delete" ? "delete" : "release" });
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
