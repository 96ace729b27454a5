import type { V1Secret } from "@kubernetes/client-node";
import {
  type CredentialSource,
  type ReadyReason,
  readyReasons,
  type SourceStatus,
} from "../../api/v1alpha1.js";
import type { RegistryToken } from "../../providers/provider.js";
import { withAliases, withoutAliases } from "../../providers/source-aliases.js";
import type { OperatorKey } from "../../security/operator-key.js";
import type { ResolvedRefreshPolicy } from "../../tokens/refresh-schedule.js";
import type { MintedTokens } from "../../tokens/token-cache.js";
import { configurationRetryDelayMs, retryDelayMs } from "../runtime/retry-delay.js";
import {
  earliestExpiry,
  type MintContext,
  mintSources,
  renewalTime,
  type SourceResult,
} from "./mint-sources.js";
import {
  identityFingerprint,
  type LoginBinding,
  loginDigest,
  recoverSourceTokens,
} from "./recover-tokens.js";
import { refuseSharedHosts } from "./shared-hosts.js";

/** At most this many of a resource's Secrets are read to recover one source's logins. */
export const maxRecoveryCandidates = 3;

/**
 * What became of a failing source's last logins:
 * - kept: still valid and the operator's own (from its cache, or a Secret matching the digest);
 * - expired: they expired, so the Secret is written without them;
 * - none: the source never produced logins, so there is nothing to keep;
 * - unverified: a login was written but none could be proven the operator's own, so the Secret
 *   is not written at all (it keeps whatever it holds).
 */
type Carry =
  | { index: number; state: "kept"; tokens: RegistryToken[]; mintedAt: Date; expiresAt?: Date }
  | { index: number; state: "expired"; hosts: string[]; expiredAt: Date }
  | { index: number; state: "none" | "unverified" };

/** Everything a credential resource needs to write its Secret(s) and status after minting. */
export interface Logins {
  results: SourceResult[];
  failed: SourceResult[];
  /** One per failed source, in the order of `failed`. */
  carried: Carry[];
  /** Status entries: fresh for sources that minted, the previous entry for sources that failed. */
  sources: SourceStatus[];
  /** Logins to write: fresh ones, plus the kept ones of failed sources. */
  logins: RegistryToken[];
  /**
   * True when the logins may be written: there is at least one, and no failing source has logins
   * in the Secret that could not be verified. Writing then drops only logins that have expired
   * (and hosts of sources that never had one); every such host is named in the failure message.
   */
  complete: boolean;
  expiresAt?: Date;
  refreshedAt: Date;
  /** True when a provider was called (not all tokens came from the cache). */
  minted: boolean;
}

export interface LoginContext extends Omit<MintContext, "recover"> {
  /** Keys the login digests in status. */
  key: OperatorKey;
  /** The resource whose sources these are. */
  ownerUid: string;
}

function sourceStatus(
  result: SourceResult,
  previous: SourceStatus | undefined,
  key: OperatorKey,
  binding: LoginBinding,
): SourceStatus | undefined {
  if (!result.minted) return previous;
  const expiry = earliestExpiry(result.minted.tokens);
  const entry = {
    index: result.index,
    provider: result.provider,
    hosts: [...new Set(result.minted.tokens.map((t) => t.host))].sort(),
    ...(expiry ? { expiresAt: expiry.toISOString() } : {}),
    refreshedAt: result.minted.mintedAt.toISOString(),
    ...(result.identity ? { identity: identityFingerprint(result.identity) } : {}),
  };
  return { ...entry, loginDigest: loginDigest(key, binding, entry, result.minted.tokens) };
}

const unexpired = (tokens: readonly RegistryToken[], now: Date) =>
  tokens.filter((t) => !t.expiresAt || t.expiresAt > now);

/**
 * Mints (or reuses) every source's tokens. `references` are Secrets this resource wrote (for a
 * ClusterRegistryCredential: only in namespaces it selects), most trusted first. They are trusted
 * only as far as the status digests prove them the operator's own: after a restart they seed the
 * cache, and for a source that fails now they supply its last logins when the cache has none.
 */
export async function collectLogins(
  specSources: readonly CredentialSource[],
  ctx: LoginContext,
  previous: readonly SourceStatus[] | undefined,
  references: readonly V1Secret[],
): Promise<Logins> {
  const previousOf = (index: number) => previous?.find((s) => s.index === index);
  const bindingOf = (index: number): LoginBinding => ({
    ownerUid: ctx.ownerUid,
    source: specSources[index] as CredentialSource,
  });
  const recovered = (index: number): MintedTokens | undefined => {
    const entry = previousOf(index);
    for (const reference of references.slice(0, maxRecoveryCandidates)) {
      const tokens = recoverSourceTokens(reference, entry, ctx.key, bindingOf(index));
      if (tokens) return tokens;
    }
    return undefined;
  };
  const results = await mintSources(specSources, {
    ...ctx,
    recover: (index, identity) =>
      previousOf(index)?.identity === identityFingerprint(identity) ? recovered(index) : undefined,
  });
  // A host two sources write would leave one login in the Secret: the later source is refused.
  const sharing = refuseSharedHosts(results);
  const now = ctx.now();
  const failed = results.filter((r) => r.error);
  const carried = failed.map((r): Carry => {
    const entry = previousOf(r.index);
    if (!entry || sharing.has(r.index)) return { index: r.index, state: "none" };
    const lastExpiry = entry.expiresAt ? new Date(entry.expiresAt) : undefined;
    if (lastExpiry && lastExpiry <= now)
      return { index: r.index, state: "expired", hosts: entry.hosts, expiredAt: lastExpiry };
    // The cache holds the identity's newest mint: for a login the registry refused that is the
    // refused one, so the last login written comes from the Secret instead.
    const cachedLast = r.identity && !r.refused ? ctx.cache.peek(r.identity) : undefined;
    const last = cachedLast ?? recovered(r.index);
    const source = specSources[r.index] as CredentialSource;
    let tokens: RegistryToken[];
    try {
      // The cache holds the provider's logins, a recovered Secret the aliased ones too.
      tokens = unexpired(withAliases(source, withoutAliases(source, last?.tokens ?? [])), now);
    } catch {
      tokens = [];
    }
    if (!last || tokens.length === 0) return { index: r.index, state: "unverified" };
    const expiresAt = earliestExpiry(tokens);
    return {
      index: r.index,
      state: "kept",
      tokens,
      mintedAt: last.mintedAt,
      ...(expiresAt ? { expiresAt } : {}),
    };
  });
  const logins = results.flatMap((r) => r.minted?.tokens ?? []);
  for (const c of carried) if (c.state === "kept") logins.push(...c.tokens);
  const expiresAt = earliestExpiry(logins);
  return {
    results,
    failed,
    carried,
    sources: results.flatMap((r) => sourceStatus(r, previousOf(r.index), ctx.key, bindingOf(r.index)) ?? []),
    logins,
    complete: carried.every((c) => c.state !== "unverified") && logins.length > 0,
    ...(expiresAt ? { expiresAt } : {}),
    refreshedAt: new Date(
      Math.max(
        ...results.map((r) => r.minted?.mintedAt.getTime() ?? 0),
        ...carried.map((c) => (c.state === "kept" ? c.mintedAt.getTime() : 0)),
      ),
    ),
    minted: results.some((r) => r.minted && !r.minted.cached),
  };
}

/** When the next renewal is due: the earliest renewal point over all sources. */
export function nextRefresh(logins: Logins, policy: ResolvedRefreshPolicy, jitter: number, now: Date): Date {
  return new Date(
    Math.min(
      ...logins.results.map((r) =>
        renewalTime(r.minted ?? { tokens: [], mintedAt: now }, r.nonExpiring, policy, jitter).getTime(),
      ),
    ),
  );
}

export interface FailureReport {
  reason: ReadyReason;
  message: string;
  retryAfterMs: number;
  /** The logins already written have expired. */
  expired: boolean;
}

/** What the failure message says was done with the Secret(s), for each kind of carry. */
function consequences(logins: Logins, target: string, exists: boolean): string {
  if (!exists) return logins.complete ? "" : `; nothing was written to ${target} yet`;
  const at = (c: Carry) => `spec.sources[${c.index}]`;
  if (!logins.complete) {
    const unverified = logins.carried.filter((c) => c.state === "unverified").map(at);
    return `; ${target} was left as it was: the last logins of ${unverified.join(", ")} could not be verified as this operator's own (the Secret was changed by someone else, or the source's spec changed), so they are neither reused nor dropped`;
  }
  const notes = logins.carried.flatMap((c) => {
    switch (c.state) {
      case "kept":
        return [
          `${target} keeps the last login of ${at(c)}${c.expiresAt ? ` until it expires at ${c.expiresAt.toISOString()}` : ""}`,
        ];
      case "expired":
        return [
          `the login of ${at(c)} for ${c.hosts.join(", ")} expired at ${c.expiredAt.toISOString()} and was removed from ${target}`,
        ];
      case "none":
        return [`${target} holds no login for ${at(c)} until it succeeds`];
      default:
        return [];
    }
  });
  return notes.map((n) => `; ${n}`).join("");
}

/**
 * Describes failed sources for the Ready condition, says truthfully what was written, and plans
 * the retry: exponential backoff for outages, the slow interval when every failure is one only a
 * change can fix (CredentialError.retryable false). `exists` tells whether the resource's Secret(s) exist; `writtenExpiry` is the
 * earliest expiry of the logins they hold (undefined when unknown or nothing is written).
 */
export function reportFailure(
  logins: Logins,
  options: {
    target: string;
    exists: boolean;
    writtenExpiry?: Date;
    now: Date;
    failures: number;
    random: number;
  },
): FailureReport {
  const { target, exists, writtenExpiry, now } = options;
  const expired = exists && writtenExpiry !== undefined && writtenExpiry <= now;
  const detail = logins.failed
    .map((r) => `spec.sources[${r.index}] (${r.label}): ${r.error?.message}`)
    .join("; ");
  const first = logins.failed[0]?.error?.reason ?? readyReasons.providerError;
  const msUntilExpiry = writtenExpiry ? writtenExpiry.getTime() - now.getTime() : undefined;
  return {
    reason: expired ? readyReasons.expired : first,
    message: expired
      ? `the logins in ${target} expired at ${writtenExpiry?.toISOString()} and refreshing failed: ${detail}`
      : `${detail}${consequences(logins, target, exists)}`,
    // Outages back off from 5 s; configuration errors (not retryable) wait the longest delay.
    retryAfterMs: logins.failed.every((r) => r.error?.retryable === false)
      ? configurationRetryDelayMs(msUntilExpiry, options.random)
      : retryDelayMs(options.failures, msUntilExpiry, options.random),
    expired,
  };
}
