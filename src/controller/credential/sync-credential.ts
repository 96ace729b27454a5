import { readyReasons, rotateAnnotation } from "../../api/v1alpha1.js";
import { ownerKey } from "../../secrets/ownership.js";
import { stableJitter } from "../../tokens/refresh-schedule.js";
import type { ResolvedVerifyPolicy } from "../../verify/verify-policy.js";
import type { SyncResult, SyncRun } from "../runtime/work-queue.js";
import type { ControllerContext } from "./context.js";
import {
  type Credential,
  type CredentialKey,
  type CredentialKind,
  type CredentialResource,
  credentialOf,
} from "./credential-kind.js";
import { collectLogins, type Logins } from "./credential-logins.js";
import { finalize } from "./finalize.js";
import { hasFinalizer, setFinalizer } from "./finalizer.js";
import { credentialStatus } from "./readiness.js";
import { recheckMs, reportOutcome } from "./report-outcome.js";
import { pendingRotation, rotatedReason } from "./rotation.js";
import { checkSpec } from "./spec-checks.js";
import { ownedNamespaces, recoveryCandidates, takenTargets } from "./target-plan.js";
import { cleanupTarget, ensureTarget, type TargetResult, type TargetState } from "./targets.js";
import { admitPods, cleanupLeaving, writeTargets } from "./write-targets.js";

/**
 * Reconciles one credential resource of either kind, the same way for both: guard clauses (gone,
 * deleting, no finalizer, invalid spec, every target taken) → logins (minted once per identity
 * through the shared cache, or carried over; every source minted afresh while a rotation asked for
 * with the regcred.dev/rotate annotation is pending) → the Secret into every target namespace, with its
 * ServiceAccounts, and cleanup where it no longer belongs → pod admission → status, events and
 * metrics → when to run again. A failing namespace is recorded, never fatal to the others. Throws
 * only for unexpected apiserver errors on the resource itself (the queue retries those with
 * backoff) and StoppedError; provider failures are reported in status and events instead.
 */
export async function syncCredential<T extends CredentialResource>(
  ctx: ControllerContext,
  kind: CredentialKind<T>,
  state: TargetState,
  key: CredentialKey,
  run: SyncRun,
): Promise<SyncResult> {
  const resource = kind.get(key);
  if (!resource) {
    // Gone without our finalizer having run (it was removed by hand): its policy must go too.
    const id = ownerKey({ kind: kind.kind, ...key });
    await ctx.podAdmission.remove(id);
    state.forget(id);
    ctx.pullFailureLists.forget(id);
    ctx.rotations.forget(id);
    ctx.metrics.forgetCredential(kind.kind, key.namespace ?? "", key.name);
    return {};
  }
  const self = credentialOf(kind, resource);
  if (resource.metadata.deletionTimestamp) {
    if (hasFinalizer(resource.metadata)) await finalize(ctx, kind, state, self);
    return {};
  }
  if (!hasFinalizer(resource.metadata)) {
    // The update event of this patch triggers the next reconcile.
    await setFinalizer(ctx.kube.objects, self.ref, resource.metadata, "add");
    return {};
  }

  const now = new Date(ctx.clock.now());
  const status = credentialStatus(ctx, self, now);
  const checked = checkSpec(resource.spec);
  if ("problems" in checked) {
    // Retrying cannot help: the next change of the resource runs the sync again.
    await status.notReady(readyReasons.invalidSpec, checked.problems.join("; "));
    return {};
  }
  const { policy, verify } = checked;
  const jitter = stableJitter(self.owner.uid);
  const targets = kind.targets(resource);
  const found = { self, targets, policy, verify, jitter, now, run };

  const owned = ownedNamespaces(ctx, self.owner);
  const taken = await takenTargets(ctx, self, targets);
  if (taken.length > 0 && taken.length === targets.length) {
    // No target can take the Secret: minting would only spend a cloud call. What it wrote where it
    // no longer belongs still goes, and so does its admission policy (it would name others' Secrets).
    const results = new Map(taken.map((f): [string, TargetResult] => [f.namespace, { ok: false, ...f }]));
    state.results.set(self.id, results);
    await cleanupLeaving(ctx, self, owned, targets);
    await ctx.podAdmission.remove(self.id);
    status.target.podAdmission = null;
    await reportOutcome(ctx, kind, status, { ...found, results, owned });
    return { requeueAfterMs: recheckMs };
  }

  const rotation = pendingRotation(resource);
  const rotationAskedAt = rotation !== undefined ? ctx.rotations.askedAt(self.id, rotation, now) : undefined;
  const logins = await loginsOf(ctx, kind, self, {
    ...found,
    owned,
    ...(rotationAskedAt ? { rotationAskedAt } : {}),
  });
  const results = await writeTargets(ctx, state, self, { targets, owned }, logins, run);
  await admitPods(ctx, kind, self, status, { targets, owned, results }, logins.complete);
  // A rotation is done once every source minted afresh; a failed one is retried with the sync.
  const rotated = rotation !== undefined && logins.failed.length === 0 ? rotation : undefined;
  const result = await reportOutcome(ctx, kind, status, {
    ...found,
    results,
    owned,
    logins,
    ...(rotated !== undefined ? { rotated } : {}),
  });
  if (rotated !== undefined) {
    ctx.metrics.rotations.inc({ kind: kind.kind });
    const sources = logins.results.length;
    await ctx.events.record(
      resource,
      "Normal",
      rotatedReason,
      `rotation ${JSON.stringify(rotated)} asked for with ${rotateAnnotation}: ${sources} source(s) minted afresh and written`,
    );
  }
  return result;
}

/** Every source's logins, minted or from the cache, or carried over; counts the refreshes. */
async function loginsOf<T extends CredentialResource>(
  ctx: ControllerContext,
  kind: CredentialKind<T>,
  self: Credential<T>,
  found: {
    targets: readonly string[];
    owned: ReadonlySet<string>;
    policy: Parameters<typeof collectLogins>[1]["policy"];
    verify: ResolvedVerifyPolicy;
    jitter: number;
    rotationAskedAt?: Date;
  },
): Promise<Logins> {
  const { resource } = self;
  const logins = await collectLogins(
    resource.spec.sources,
    {
      providers: ctx.providers,
      cache: ctx.cache,
      accessFor: (source) => kind.access(resource, source),
      policy: found.policy,
      jitter: found.jitter,
      metrics: ctx.metrics,
      now: () => new Date(ctx.clock.now()),
      key: ctx.key,
      ownerUid: self.owner.uid,
      stopping: ctx.stopping,
      ...(found.rotationAskedAt ? { rotationAskedAt: found.rotationAskedAt } : {}),
      remintRequested: (identity) => ctx.remints.take(identity),
      limiter: ctx.mintLimiter,
      ...(ctx.deadlineMs ? { deadlineMs: ctx.deadlineMs } : {}),
      ...(ctx.verifier && found.verify.mode !== "Disabled"
        ? {
            verify: {
              verifier: ctx.verifier,
              mode: found.verify.mode,
              ...(found.verify.intervalMs !== undefined ? { intervalMs: found.verify.intervalMs } : {}),
              refusedRemintMs: ctx.refusedRemintMs,
            },
          }
        : {}),
    },
    resource.status?.sources,
    recoveryCandidates(ctx, self, found.targets, found.owned, kind.home(resource)),
  );
  for (const r of logins.results) {
    if (r.minted && !r.minted.cached) ctx.metrics.refreshes.inc({ provider: r.provider, result: "success" });
    if (r.error) ctx.metrics.refreshes.inc({ provider: r.provider, result: r.error.reason });
  }
  return logins;
}

/**
 * Brings one namespace in line with the resource's last plan: writes and patches when it is a
 * target, cleans up when it is not. Returns false when there is no plan for the resource's current
 * generation (the caller then runs a full sync).
 */
export async function syncTarget<T extends CredentialResource>(
  ctx: ControllerContext,
  kind: CredentialKind<T>,
  state: TargetState,
  key: CredentialKey,
  namespace: string,
  run: SyncRun,
): Promise<boolean> {
  const resource = kind.get(key);
  const id = ownerKey({ kind: kind.kind, ...key });
  const plan = state.plans.get(id);
  if (!resource || resource.metadata.deletionTimestamp || !plan) return false;
  if (plan.uid !== resource.metadata.uid || plan.generation !== (resource.metadata.generation ?? 0))
    return false;
  const results = state.resultsOf(id);
  if (kind.isTarget(resource, namespace)) {
    results.set(namespace, await ensureTarget(ctx, plan, namespace, run.logger));
  } else {
    results.delete(namespace);
    const exists = ctx.informers.namespaces ? !!ctx.informers.namespaces.get(namespace) : true;
    if (exists) await cleanupTarget(ctx, plan.owner, plan.secretName, plan.deletionPolicy, namespace);
  }
  return true;
}
