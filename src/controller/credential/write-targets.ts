import { readyReasons } from "../../api/v1alpha1.js";
import { errorText } from "../../util/error-text.js";
import type { SyncRun } from "../runtime/work-queue.js";
import type { ControllerContext } from "./context.js";
import type { Credential, CredentialKind, CredentialResource } from "./credential-kind.js";
import type { Logins } from "./credential-logins.js";
import { podAdmissionCondition } from "./pod-admission-condition.js";
import type { CredentialStatus } from "./readiness.js";
import { planOf } from "./target-plan.js";
import {
  cleanupTarget,
  ensureAccounts,
  ensureTarget,
  runPool,
  type TargetResult,
  type TargetState,
} from "./targets.js";

/** Removes the resource's Secret from namespaces that hold it but are no longer targets. Throws API errors. */
export async function cleanupLeaving<T extends CredentialResource>(
  ctx: ControllerContext,
  self: Credential<T>,
  owned: ReadonlySet<string>,
  targets: readonly string[],
): Promise<void> {
  const policy = self.resource.spec.deletionPolicy ?? "Delete";
  const leaving = [...owned].filter((ns) => !targets.includes(ns));
  await runPool(leaving, ctx.concurrency, (ns) =>
    cleanupTarget(ctx, self.owner, self.secretName, policy, ns),
  );
}

/**
 * Writes the logins into every target (when they may be written: Logins.complete), cleans up the
 * namespaces that hold the Secret but are no longer targets, and records the plan and results for
 * namespace-level syncs. With nothing new to write, the Secrets already there still serve, so
 * their ServiceAccounts are kept in line (a failure there is that namespace's result, not
 * recorded for later syncs). Returns the results per namespace. Never throws for a namespace's
 * failure; throws API errors of the cleanup.
 */
export async function writeTargets<T extends CredentialResource>(
  ctx: ControllerContext,
  state: TargetState,
  self: Credential<T>,
  where: { targets: readonly string[]; owned: ReadonlySet<string> },
  logins: Logins,
  run: SyncRun,
): Promise<ReadonlyMap<string, TargetResult>> {
  const { targets, owned } = where;
  if (!logins.complete) {
    const results = new Map(state.results.get(self.id));
    const holding = targets.filter((ns) => owned.has(ns));
    const accounts = self.resource.spec.serviceAccounts;
    await runPool(holding, ctx.concurrency, async (ns) => {
      try {
        await ensureAccounts(ctx, self.owner, self.secretName, accounts, ns);
      } catch (error) {
        results.set(ns, {
          ok: false,
          reason: readyReasons.writeFailed,
          message: errorText(error),
          held: true,
        });
      }
    });
    return results;
  }
  const plan = planOf(ctx, self, logins);
  state.plans.set(self.id, plan);
  const outcomes = await runPool(targets, ctx.concurrency, (ns) => ensureTarget(ctx, plan, ns, run.logger));
  const results = new Map(targets.map((ns, i) => [ns, outcomes[i] as TargetResult]));
  state.results.set(self.id, results);
  await cleanupLeaving(ctx, self, owned, targets);
  const created = outcomes.filter((o) => o.ok && o.wrote === "created").length;
  const updated = outcomes.filter((o) => o.ok && o.wrote === "updated").length;
  if (created + updated > 0)
    run.logger.info({ created, updated, expiresAt: logins.expiresAt }, "secrets written");
  return results;
}

/**
 * Applies the resource's pod admission once its Secret is somewhere to be injected (some target
 * holds it after this sync's writes, or already held it when nothing new was written; never when
 * no target holds it), and sets the PodAdmission condition, with a Warning event when it is False.
 * Throws ApiException when a policy cannot be removed.
 */
export async function admitPods<T extends CredentialResource>(
  ctx: ControllerContext,
  kind: CredentialKind<T>,
  self: Credential<T>,
  status: CredentialStatus,
  where: {
    targets: readonly string[];
    owned: ReadonlySet<string>;
    results: ReadonlyMap<string, TargetResult>;
  },
  wrote: boolean,
): Promise<void> {
  const { targets, owned, results } = where;
  const held = [...results.values()].some((r) => r.ok || r.held);
  if (wrote ? targets.length > 0 && !held : owned.size === 0) return;
  const spec = self.resource.spec.podAdmission;
  const selectors = kind.admissionSelectors(self.resource);
  const problem = await ctx.podAdmission.apply(self.owner, spec, self.secretName, selectors);
  const condition = podAdmissionCondition(spec, self.secretName, [...targets], problem, ctx.webhook);
  status.target.podAdmission = condition;
  if (condition?.status === "False")
    await ctx.events.record(self.resource, "Warning", condition.reason, condition.message);
}
