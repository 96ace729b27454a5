import type { V1Secret } from "@kubernetes/client-node";
import {
  type ClusterRegistryCredentialStatus,
  type NamespaceFailure,
  type ReadyReason,
  readyReasons,
} from "../../api/v1alpha1.js";
import { desiredSecret } from "../../secrets/desired-secret.js";
import { buildDockerConfig } from "../../secrets/dockerconfig.js";
import { annotations, isOwnedBy, ownerKey, type SecretOwner } from "../../secrets/ownership.js";
import { conflictMessage, readSecretIfExists } from "../../secrets/secret-writer.js";
import { secretSignature } from "../../secrets/signature.js";
import { pullSecretAnnotation } from "../../serviceaccounts/pull-secret-patch.js";
import { stableJitter } from "../../tokens/refresh-schedule.js";
import { retryDelayMs } from "../runtime/retry-delay.js";
import type { SyncResult, SyncRun } from "../runtime/work-queue.js";
import type { ControllerContext } from "./context.js";
import {
  type Credential,
  type CredentialKey,
  type CredentialKind,
  type CredentialResource,
  credentialOf,
} from "./credential-kind.js";
import {
  collectLogins,
  type Logins,
  maxRecoveryCandidates,
  nextRefresh,
  reportFailure,
} from "./credential-logins.js";
import { hasFinalizer, setFinalizer } from "./finalizer.js";
import { podAdmissionCondition } from "./pod-admission-condition.js";
import { type NotReadyTarget, reportNotReady, reportReady } from "./readiness.js";
import { checkSpec } from "./spec-checks.js";
import {
  cleanupTarget,
  ensureAccounts,
  ensureTarget,
  runPool,
  type TargetPlan,
  type TargetResult,
  type TargetState,
} from "./targets.js";

/** How soon a resource blocked by something only a person can fix (a conflict, a refusal) is checked again. */
const recheckMs = 5 * 60_000;
/** At most this many failing namespaces are listed in status. */
const maxFailuresListed = 20;

/**
 * Reconciles one credential resource of either kind: guard clauses (gone, deleting, no finalizer,
 * invalid spec) → logins (minted once per identity through the shared cache, or carried over) →
 * the Secret into every target namespace, with its ServiceAccounts → cleanup where it no longer
 * belongs → pod admission → status, events and metrics → when to run again. A failing namespace
 * is recorded, never fatal to the others. Throws only for unexpected apiserver errors on the
 * resource itself (the queue retries those with backoff) and StoppedError; provider failures are
 * reported in status and events instead.
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
    ctx.metrics.forgetCredential(kind.kind, key.namespace ?? "", key.name);
    return {};
  }
  const self = credentialOf(kind, resource);
  if (resource.metadata.deletionTimestamp) {
    if (hasFinalizer(resource.metadata)) await finalize(ctx, state, self);
    return {};
  }
  if (!hasFinalizer(resource.metadata)) {
    // The update event of this patch triggers the next reconcile.
    await setFinalizer(ctx.kube.objects, self.ref, resource.metadata, true);
    return {};
  }

  const now = new Date(ctx.clock.now());
  const target: NotReadyTarget<ClusterRegistryCredentialStatus> = {
    object: resource,
    ref: self.ref,
    secretName: self.secretName,
    labels: self.labels,
  };
  const notReady = (
    reason: ReadyReason,
    message: string,
    extra: Partial<ClusterRegistryCredentialStatus> = {},
  ) => reportNotReady(ctx, target, now, reason, message, extra);

  const checked = checkSpec(resource.spec);
  if ("problems" in checked) {
    // Retrying cannot help: the next change of the resource runs the sync again.
    await notReady(readyReasons.invalidSpec, checked.problems.join("; "));
    return {};
  }
  const { policy } = checked;

  const targets = kind.targets(resource);
  const taken = await takenTargets(ctx, self, targets);
  if (taken.length > 0 && taken.length === targets.length) {
    // No target can take the Secret: minting would only spend a cloud call.
    const first = taken[0] as NamespaceFailure;
    state.results.set(self.id, new Map(taken.map((f) => [f.namespace, { ok: false, ...f }])));
    const described = kind.describeTargets(resource, self.secretName, {
      targeted: targets.length,
      inSync: 0,
      failed: taken.length,
      failures: taken.slice(0, maxFailuresListed),
    });
    await notReady(
      readyReasons.secretConflict,
      `${first.message}${inAll(targets, taken.length)}`,
      described.status,
    );
    return { requeueAfterMs: recheckMs };
  }
  const owned = ownedNamespaces(ctx, self.owner);
  const jitter = stableJitter(self.owner.uid);
  const logins = await collectLogins(
    resource.spec.sources,
    {
      providers: ctx.providers,
      cache: ctx.cache,
      accessFor: (source) => kind.access(resource, source),
      policy,
      jitter,
      metrics: ctx.metrics,
      now: () => new Date(ctx.clock.now()),
      key: ctx.key,
      ownerUid: self.owner.uid,
      stopping: ctx.stopping,
      ...(ctx.deadlineMs ? { deadlineMs: ctx.deadlineMs } : {}),
    },
    resource.status?.sources,
    recoveryCandidates(ctx, self, targets, owned, kind.home(resource)),
  );
  countRefreshes(ctx, logins);

  let results = state.results.get(self.id) ?? new Map<string, TargetResult>();
  if (logins.complete) {
    const plan = planOf(ctx, self, logins);
    state.plans.set(self.id, plan);
    const outcomes = await runPool(targets, ctx.concurrency, (ns) => ensureTarget(ctx, plan, ns, run.logger));
    results = new Map(targets.map((ns, i) => [ns, outcomes[i] as TargetResult]));
    state.results.set(self.id, results);
    const leaving = [...owned].filter((ns) => !results.has(ns));
    await runPool(leaving, ctx.concurrency, (ns) =>
      cleanupTarget(ctx, self.owner, self.secretName, plan.deletionPolicy, ns),
    );
    logWrites(run, outcomes, logins);
  } else {
    // Nothing new to write; the Secrets already there still serve, so their ServiceAccounts stay in line.
    const holding = targets.filter((ns) => owned.has(ns));
    await runPool(holding, ctx.concurrency, (ns) =>
      ensureAccounts(ctx, self.owner, self.secretName, resource.spec.serviceAccounts, ns),
    );
  }

  const failures: NamespaceFailure[] = [...results]
    .flatMap(([namespace, r]) => (r.ok ? [] : [{ namespace, reason: r.reason, message: r.message }]))
    .sort((a, b) => a.namespace.localeCompare(b.namespace));
  const inSync = [...results.values()].filter((r) => r.ok).length;
  const everyTargetFailed = targets.length > 0 && inSync === 0 && failures.length > 0;
  const holdsSecret = logins.complete ? !everyTargetFailed : owned.size > 0;
  if (holdsSecret) {
    const problem = await ctx.podAdmission.apply(
      self.owner,
      resource.spec.podAdmission,
      self.secretName,
      kind.admissionSelectors(resource),
    );
    target.podAdmission = podAdmissionCondition(
      resource.spec.podAdmission,
      self.secretName,
      targets,
      problem,
      ctx.webhook,
    );
    if (target.podAdmission?.status === "False")
      await ctx.events.record(resource, "Warning", target.podAdmission.reason, target.podAdmission.message);
  }

  const described = kind.describeTargets(resource, self.secretName, {
    targeted: targets.length,
    inSync,
    failed: failures.length,
    failures: failures.slice(0, maxFailuresListed),
  });
  const previousExpiry = resource.status?.expiresAt;
  const writtenExpiry = logins.expiresAt ?? (previousExpiry ? new Date(previousExpiry) : undefined);
  if (writtenExpiry) ctx.metrics.credentialExpiry.set(self.labels, writtenExpiry.getTime() / 1000);
  const expiry = writtenExpiry ? { expiresAt: writtenExpiry.toISOString() } : {};

  // The apiserver refusing the Secret as invalid is the spec's fault in every namespace alike.
  const rejected = failures.filter((f) => f.reason === readyReasons.invalidSpec);
  if (rejected.length > 0) {
    const first = rejected[0] as NamespaceFailure;
    await notReady(
      readyReasons.invalidSpec,
      `${first.message}${inAll(targets, rejected.length)}; check spec.secret`,
      {
        ...described.status,
        sources: logins.sources,
      },
    );
    return { requeueAfterMs: recheckMs };
  }

  if (logins.failed.length > 0) {
    const failure = reportFailure(logins, {
      target: described.where,
      exists: owned.size > 0 || inSync > 0,
      ...(writtenExpiry ? { writtenExpiry } : {}),
      now,
      failures: run.failures,
      random: ctx.random(),
    });
    ctx.metrics.credentialExpired.set(self.labels, failure.expired ? 1 : 0);
    await notReady(failure.reason, failure.message, {
      ...described.status,
      sources: logins.sources,
      ...expiry,
      nextRefreshTime: new Date(now.getTime() + failure.retryAfterMs).toISOString(),
    });
    return { requeueAfterMs: failure.retryAfterMs, failed: true };
  }

  if (everyTargetFailed) {
    const first = failures[0] as NamespaceFailure;
    const conflict = failures.every((f) => f.reason === readyReasons.secretConflict);
    await notReady(
      conflict ? readyReasons.secretConflict : readyReasons.writeFailed,
      `${first.message}${inAll(targets, failures.length)}`,
      {
        ...described.status,
        sources: logins.sources,
      },
    );
    // A conflict waits for a person; a failed write is retried with backoff.
    if (conflict) return { requeueAfterMs: recheckMs };
    return { requeueAfterMs: retryDelayMs(run.failures, undefined, ctx.random()), failed: true };
  }

  const next = nextRefresh(logins, policy, jitter, now);
  const hosts = logins.sources.flatMap((s) => s.hosts);
  const validUntil = logins.expiresAt ? `, valid until ${logins.expiresAt.toISOString()}` : "";
  const message = `${described.where} holds ${hosts.length} registry login(s) (${hosts.join(", ")})${validUntil}; next refresh at ${next.toISOString()}`;
  await reportReady(
    ctx,
    target,
    now,
    {
      sources: logins.sources,
      ...described.status,
      ...(logins.expiresAt ? { expiresAt: logins.expiresAt.toISOString() } : {}),
      lastRefreshTime: logins.refreshedAt.toISOString(),
      nextRefreshTime: next.toISOString(),
    },
    message,
    logins.minted,
  );
  const untilRefresh = Math.max(1000, next.getTime() - now.getTime());
  if (failures.length === 0) return { requeueAfterMs: untilRefresh };
  const first = failures[0] as NamespaceFailure;
  await ctx.events.record(
    resource,
    "Warning",
    first.reason,
    `${failures.length} namespace(s) failed; first: ${first.namespace}: ${first.message}`,
  );
  return { requeueAfterMs: Math.min(untilRefresh, recheckMs) };
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
  if (kind.targets(resource).includes(namespace)) {
    results.set(namespace, await ensureTarget(ctx, plan, namespace, run.logger));
  } else {
    results.delete(namespace);
    const exists = ctx.informers.namespaces ? !!ctx.informers.namespaces.get(namespace) : true;
    if (exists) await cleanupTarget(ctx, plan.owner, plan.secretName, plan.deletionPolicy, namespace);
  }
  return true;
}

/**
 * The deletion of a resource that still has our finalizer: its policy goes, every namespace
 * holding its Secret or a ServiceAccount it patched is cleaned up under its deletion policy, and
 * the finalizer is removed. Throws API errors (the queue retries).
 */
async function finalize<T extends CredentialResource>(
  ctx: ControllerContext,
  state: TargetState,
  self: Credential<T>,
): Promise<void> {
  await ctx.podAdmission.remove(self.id);
  state.plans.delete(self.id);
  const patched = ctx.informers.serviceAccounts
    .list(self.owner.namespace)
    .filter((sa) => sa.metadata?.annotations?.[pullSecretAnnotation(self.secretName)] === self.id)
    .map((sa) => sa.metadata?.namespace as string);
  const touched = new Set([...ownedNamespaces(ctx, self.owner), ...patched]);
  const policy = self.resource.spec.deletionPolicy ?? "Delete";
  await runPool([...touched], ctx.concurrency, (ns) =>
    cleanupTarget(ctx, self.owner, self.secretName, policy, ns),
  );
  await setFinalizer(ctx.kube.objects, self.ref, self.resource.metadata, false);
  state.forget(self.id);
  ctx.metrics.forgetCredential(self.labels.kind, self.labels.namespace, self.labels.name);
}

/** " (in 2 of 5 namespaces)" for a resource with several targets; nothing for one. */
function inAll(targets: readonly string[], count: number): string {
  return targets.length > 1 ? ` (in ${count} of ${targets.length} namespaces)` : "";
}

/**
 * The targets whose Secret name is taken by someone else, as conflicts, or none as soon as one
 * target is found that can take the Secret (its own Secret is cached there, or the name is free).
 * A name the cache does not hold is read live: the cache holds only Secrets of live owners. So a
 * resource whose Secrets exist costs no read, and a new one one read. Throws API errors.
 */
async function takenTargets<T extends CredentialResource>(
  ctx: ControllerContext,
  self: Credential<T>,
  targets: readonly string[],
): Promise<NamespaceFailure[]> {
  const taken: NamespaceFailure[] = [];
  for (const namespace of targets) {
    const secret =
      ctx.informers.secrets.get(self.secretName, namespace) ??
      (await readSecretIfExists(ctx.kube.core, namespace, self.secretName));
    if (!secret || isOwnedBy(secret, self.owner)) return [];
    taken.push({
      namespace,
      reason: readyReasons.secretConflict,
      message: conflictMessage(secret, self.owner),
    });
  }
  return taken;
}

/** Namespaces where a Secret of this owner is cached (the cache holds only Secrets of live owners). */
function ownedNamespaces(ctx: ControllerContext, owner: SecretOwner): Set<string> {
  return new Set(
    ctx.informers.secrets
      .list(owner.namespace)
      .filter((s) => s.metadata?.annotations?.[annotations.ownerUid] === owner.uid)
      .map((s) => s.metadata?.namespace as string),
  );
}

/**
 * The resource's own Secrets that may supply logins after a restart: only copies in namespaces it
 * targets now (a tenant cannot plant one elsewhere), its home namespace's first, at most a few.
 */
function recoveryCandidates<T extends CredentialResource>(
  ctx: ControllerContext,
  self: Credential<T>,
  targets: readonly string[],
  owned: ReadonlySet<string>,
  home: string,
): V1Secret[] {
  const order = targets.includes(home) ? [home, ...targets.filter((ns) => ns !== home)] : targets;
  return order
    .filter((ns) => owned.has(ns))
    .slice(0, maxRecoveryCandidates)
    .flatMap((ns) => ctx.informers.secrets.get(self.secretName, ns) ?? []);
}

function planOf<T extends CredentialResource>(
  ctx: ControllerContext,
  self: Credential<T>,
  logins: Logins,
): TargetPlan {
  const spec = self.resource.spec;
  const deletionPolicy = spec.deletionPolicy ?? "Delete";
  const dockerConfigJson = buildDockerConfig(logins.logins);
  return {
    uid: self.owner.uid,
    generation: self.resource.metadata.generation ?? 0,
    owner: self.owner,
    secretName: self.secretName,
    accounts: spec.serviceAccounts,
    deletionPolicy,
    secretFor: (namespace) =>
      desiredSecret({
        owner: self.owner,
        namespace,
        name: self.secretName,
        dockerConfigJson,
        ...(logins.expiresAt ? { expiresAt: logins.expiresAt } : {}),
        refreshedAt: logins.refreshedAt,
        signature: secretSignature(ctx.key, self.owner, namespace, self.secretName),
        extraLabels: spec.secret?.labels ?? {},
        extraAnnotations: spec.secret?.annotations ?? {},
        ownerReference: deletionPolicy === "Delete",
      }),
  };
}

function countRefreshes(ctx: ControllerContext, logins: Logins): void {
  for (const r of logins.results) {
    if (r.minted && !r.minted.cached) ctx.metrics.refreshes.inc({ provider: r.provider, result: "success" });
    if (r.error) ctx.metrics.refreshes.inc({ provider: r.provider, result: r.error.reason });
  }
}

function logWrites(run: SyncRun, outcomes: readonly TargetResult[], logins: Logins): void {
  const created = outcomes.filter((o) => o.ok && o.wrote === "created").length;
  const updated = outcomes.filter((o) => o.ok && o.wrote === "updated").length;
  if (created + updated > 0)
    run.logger.info({ created, updated, expiresAt: logins.expiresAt }, "secrets written");
}
