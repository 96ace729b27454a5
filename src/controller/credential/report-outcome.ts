import { type NamespaceFailure, readyReasons, type VerificationStatus } from "../../api/v1alpha1.js";
import type { ResolvedRefreshPolicy } from "../../tokens/refresh-schedule.js";
import { verificationEntries, verifiedCondition } from "../../verify/verified-condition.js";
import type { ResolvedVerifyPolicy } from "../../verify/verify-policy.js";
import { retryDelayMs } from "../runtime/retry-delay.js";
import type { SyncResult, SyncRun } from "../runtime/work-queue.js";
import type { ControllerContext } from "./context.js";
import type { Credential, CredentialKind, CredentialResource } from "./credential-kind.js";
import { type Logins, nextRefresh, reportFailure } from "./credential-logins.js";
import type { CredentialStatus } from "./readiness.js";
import type { TargetResult } from "./targets.js";

/** How soon a resource blocked by something only a person can fix (a conflict, a refusal) is checked again. */
export const recheckMs = 5 * 60_000;
/** At most this many failing namespaces are listed in status. */
const maxFailuresListed = 20;

/** What a sync found, for the status it reports. */
export interface SyncFindings<T extends CredentialResource> {
  self: Credential<T>;
  targets: readonly string[];
  /** The last result per namespace (this sync's when it wrote). */
  results: ReadonlyMap<string, TargetResult>;
  /** Namespaces holding the resource's Secret before this sync. */
  owned: ReadonlySet<string>;
  /** Undefined when nothing was minted (no target could take the Secret). */
  logins?: Logins;
  /** The rotation this sync carried out (its recorded annotation value), if any. */
  rotated?: string;
  policy: ResolvedRefreshPolicy;
  verify: ResolvedVerifyPolicy;
  jitter: number;
  now: Date;
  run: SyncRun;
}

/**
 * status.verification and the Verified condition for this sync (on `status.target`), the verified
 * gauge, and a Warning event for each registry that refused, lacked the canary or could not be
 * asked in a check made during this sync. Returns the status fields to write.
 */
async function reportVerification<T extends CredentialResource>(
  ctx: ControllerContext,
  status: CredentialStatus,
  found: SyncFindings<T>,
): Promise<{ verification?: VerificationStatus[] }> {
  const { self, logins, now } = found;
  const previous = self.resource.status?.verification;
  if (!ctx.verifier || found.verify.mode === "Disabled") {
    status.target.verified = null;
    ctx.metrics.credentialVerified.remove(self.labels);
    return { verification: undefined };
  }
  if (!logins) return previous ? { verification: previous } : {};
  const entries = verificationEntries(
    logins.results.map((r) => ({ index: r.index, ...(r.checks ? { checks: r.checks } : {}) })),
    previous,
  );
  const condition = verifiedCondition(entries);
  if (condition) {
    status.target.verified = condition;
    if (condition.status === "Unknown") ctx.metrics.credentialVerified.remove(self.labels);
    else ctx.metrics.credentialVerified.set(self.labels, condition.status === "True" ? 1 : 0);
  }
  const fresh = logins.results.flatMap((r) =>
    (r.checks ?? [])
      .filter((c) => c.at >= now && c.reason !== "Authenticated" && c.reason !== "Skipped")
      .map((c) => ({ index: r.index, check: c })),
  );
  for (const { index, check } of fresh)
    await ctx.events.record(
      self.resource,
      "Warning",
      check.reason,
      `registry ${check.host}${check.image ? ` (canary ${check.image})` : ""} of spec.sources[${index}]: ${check.message}`,
    );
  return entries.length > 0 ? { verification: entries } : { verification: undefined };
}

/** " (in 2 of 5 namespaces)" for a resource with several targets; nothing for one. */
function inAll(targets: readonly string[], count: number): string {
  return targets.length > 1 ? ` (in ${count} of ${targets.length} namespaces)` : "";
}

/**
 * Reports what the sync achieved and says when to run again, first match wins: the apiserver
 * refused the Secret (InvalidSpec, recheck in 5 min) → a source failed (its reason or Expired,
 * with backoff) → no target holds the Secret (SecretConflict, recheck in 5 min; WriteFailed, with
 * backoff) → Ready (next refresh; within 5 min while some namespace fails, with a Warning event).
 * Throws ApiException when the status cannot be written.
 */
export async function reportOutcome<T extends CredentialResource>(
  ctx: ControllerContext,
  kind: CredentialKind<T>,
  status: CredentialStatus,
  found: SyncFindings<T>,
): Promise<SyncResult> {
  const { self, targets, logins, now, run } = found;
  // Only the namespaces targeted now: a namespace that just left the selection keeps its last
  // result until its own sync cleans it up, and must not count as in sync.
  const targeted = new Set(targets);
  const results = new Map([...found.results].filter(([namespace]) => targeted.has(namespace)));
  const failures: NamespaceFailure[] = [...results]
    .flatMap(([namespace, r]) => (r.ok ? [] : [{ namespace, reason: r.reason, message: r.message }]))
    .sort((a, b) => a.namespace.localeCompare(b.namespace));
  const inSync = [...results.values()].filter((r) => r.ok).length;
  const described = kind.describeTargets(self.resource, self.secretName, {
    targeted: targets.length,
    inSync,
    failed: failures.length,
    failures: failures.slice(0, maxFailuresListed),
  });
  // Status records logins (their digests prove Secrets the operator's own) only once a Secret holds
  // them, or when there is no Secret to prove: recording logins nobody holds would make the
  // Secrets that are there unprovable after a restart.
  const heldNow = inSync > 0 || [...results.values()].some((r) => !r.ok && r.held) || targets.length === 0;
  // The last rotation carried out stays recorded whatever this sync reports, so it never repeats.
  const lastRotation =
    found.rotated !== undefined && logins
      ? { value: found.rotated, rotatedAt: logins.refreshedAt.toISOString() }
      : self.resource.status?.lastRotation;
  const verification = await reportVerification(ctx, status, found);
  // Read after the last await before the write: the pod sync may have changed it meanwhile.
  const pullFailures = ctx.pullFailureLists.current(self.id, self.resource.status?.pullFailures);
  const extra = {
    ...described.status,
    ...(logins && heldNow ? { sources: logins.sources } : {}),
    ...(lastRotation ? { lastRotation } : {}),
    ...verification,
    ...(pullFailures?.length ? { pullFailures } : {}),
  };
  const previousExpiry = self.resource.status?.expiresAt;
  const writtenExpiry = logins?.expiresAt ?? (previousExpiry ? new Date(previousExpiry) : undefined);
  if (writtenExpiry) ctx.metrics.credentialExpiry.set(self.labels, writtenExpiry.getTime() / 1000);

  // The apiserver refusing the Secret as invalid is the spec's fault in every namespace alike.
  const rejected = failures.filter((f) => f.reason === readyReasons.invalidSpec);
  if (rejected.length > 0) {
    const message = `${rejected[0]?.message}${inAll(targets, rejected.length)}; check spec.secret`;
    await status.notReady(readyReasons.invalidSpec, message, extra);
    return { requeueAfterMs: recheckMs };
  }

  if (logins && logins.failed.length > 0) {
    const failure = reportFailure(logins, {
      target: described.where,
      exists: found.owned.size > 0 || inSync > 0,
      ...(writtenExpiry ? { writtenExpiry } : {}),
      now,
      failures: run.failures,
      random: ctx.random(),
    });
    ctx.metrics.credentialExpired.set(self.labels, failure.expired ? 1 : 0);
    await status.notReady(failure.reason, failure.message, {
      ...extra,
      sources: logins.sources,
      ...(writtenExpiry ? { expiresAt: writtenExpiry.toISOString() } : {}),
      nextRefreshTime: new Date(now.getTime() + failure.retryAfterMs).toISOString(),
    });
    return { requeueAfterMs: failure.retryAfterMs, failed: true };
  }

  const first = failures[0];
  if (!logins || (first && inSync === 0 && targets.length > 0)) {
    const conflict = failures.every((f) => f.reason === readyReasons.secretConflict);
    const reason = conflict ? readyReasons.secretConflict : readyReasons.writeFailed;
    // The message quotes a failure of the reported reason (a write failure outranks conflicts).
    const quoted = failures.find((f) => f.reason === reason) ?? first;
    await status.notReady(reason, `${quoted?.message}${inAll(targets, failures.length)}`, extra);
    // A conflict waits for a person; a failed write is retried with backoff.
    if (conflict) return { requeueAfterMs: recheckMs };
    return { requeueAfterMs: retryDelayMs(run.failures, undefined, ctx.random()), failed: true };
  }

  const next = nextRefresh(logins, found.policy, found.jitter, now);
  const hosts = logins.sources.flatMap((s) => s.hosts);
  const validUntil = logins.expiresAt ? `, valid until ${logins.expiresAt.toISOString()}` : "";
  await status.ready(
    {
      ...extra,
      ...(logins.expiresAt ? { expiresAt: logins.expiresAt.toISOString() } : {}),
      lastRefreshTime: logins.refreshedAt.toISOString(),
      nextRefreshTime: next.toISOString(),
    },
    `${described.where} holds ${hosts.length} registry login(s) (${hosts.join(", ")})${validUntil}; next refresh at ${next.toISOString()}`,
    logins.minted,
  );
  // With spec.verify.interval the logins in use are checked again after that long.
  const untilRefresh = Math.max(
    1000,
    Math.min(next.getTime() - now.getTime(), found.verify.intervalMs ?? Number.POSITIVE_INFINITY),
  );
  if (!first) return { requeueAfterMs: untilRefresh };
  const summary = `${failures.length} namespace(s) failed; first: ${first.namespace}: ${first.message}`;
  await ctx.events.record(self.resource, "Warning", first.reason, summary);
  return { requeueAfterMs: Math.min(untilRefresh, recheckMs) };
}
