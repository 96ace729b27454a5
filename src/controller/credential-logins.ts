import type { V1Secret } from "@kubernetes/client-node";
import { type CredentialSource, type ReadyReason, readyReasons, type SourceStatus } from "../api/v1alpha1.js";
import type { RegistryToken } from "../providers/provider.js";
import { type ResolvedRefreshPolicy, refreshTime } from "../tokens/refresh-schedule.js";
import { earliestExpiry, type MintContext, mintSources, type SourceResult } from "./mint-sources.js";
import { identityFingerprint, recoverSourceTokens } from "./recover-tokens.js";
import { retryDelayMs } from "./retry-delay.js";

/** Everything a credential resource needs to write its Secret(s) and status after minting. */
export interface Logins {
  results: SourceResult[];
  failed: SourceResult[];
  /** Status entries: fresh for sources that minted, the previous entry for sources that failed. */
  sources: SourceStatus[];
  /** Logins to write: fresh ones, plus still-valid ones carried over for failed sources. */
  logins: RegistryToken[];
  /** True when every source has logins, so writing them can never drop a host. */
  complete: boolean;
  expiresAt?: Date;
  refreshedAt: Date;
  /** True when a provider was called (not all tokens came from the cache). */
  minted: boolean;
}

function sourceStatus(result: SourceResult, previous: SourceStatus | undefined): SourceStatus | undefined {
  if (!result.minted) return previous;
  const expiry = earliestExpiry(result.minted.tokens);
  return {
    index: result.index,
    provider: result.provider,
    hosts: [...new Set(result.minted.tokens.map((t) => t.host))].sort(),
    ...(expiry ? { expiresAt: expiry.toISOString() } : {}),
    refreshedAt: result.minted.mintedAt.toISOString(),
    ...(result.identity ? { identity: identityFingerprint(result.identity) } : {}),
  };
}

/**
 * Mints (or reuses) every source's tokens. `reference` is a Secret this resource wrote before: it
 * seeds the cache after a restart and supplies still-valid logins for sources that fail now.
 */
export async function collectLogins(
  specSources: readonly CredentialSource[],
  ctx: Omit<MintContext, "recover">,
  previous: readonly SourceStatus[] | undefined,
  reference: V1Secret | undefined,
): Promise<Logins> {
  const previousOf = (index: number) => previous?.find((s) => s.index === index);
  const results = await mintSources(specSources, {
    ...ctx,
    recover: (index, identity) => {
      const entry = previousOf(index);
      return entry?.identity === identityFingerprint(identity)
        ? recoverSourceTokens(reference, entry)
        : undefined;
    },
  });
  const now = ctx.now();
  const failed = results.filter((r) => r.error);
  const carried = failed.map((r) => recoverSourceTokens(reference, previousOf(r.index)));
  const logins = results.flatMap((r) => r.minted?.tokens ?? []);
  for (const c of carried) if (c) logins.push(...c.tokens.filter((t) => !t.expiresAt || t.expiresAt > now));
  const expiresAt = earliestExpiry(logins);
  return {
    results,
    failed,
    sources: results.flatMap((r) => sourceStatus(r, previousOf(r.index)) ?? []),
    logins,
    complete: carried.every((c) => c !== undefined) && logins.length > 0,
    ...(expiresAt ? { expiresAt } : {}),
    refreshedAt: new Date(
      Math.max(
        ...results.map((r) => r.minted?.mintedAt.getTime() ?? 0),
        ...carried.map((c) => c?.mintedAt.getTime() ?? 0),
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
        refreshTime(
          r.minted?.mintedAt ?? now,
          earliestExpiry(r.minted?.tokens ?? []),
          policy,
          jitter,
        ).getTime(),
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

/**
 * Describes failed sources for the Ready condition and plans the retry. `writtenExpiry` is the
 * expiry of the logins currently written (undefined when nothing is written yet).
 */
export function reportFailure(
  logins: Logins,
  options: {
    target: string;
    written: boolean;
    writtenExpiry?: Date;
    now: Date;
    failures: number;
    random: number;
  },
): FailureReport {
  const { target, written, writtenExpiry, now } = options;
  const expired = written && writtenExpiry !== undefined && writtenExpiry <= now;
  const detail = logins.failed
    .map((r) => `spec.sources[${r.index}] (${r.label}): ${r.error?.message}`)
    .join("; ");
  const first = logins.failed[0]?.error?.reason ?? readyReasons.providerError;
  const msUntilExpiry = writtenExpiry ? writtenExpiry.getTime() - now.getTime() : undefined;
  return {
    reason: expired ? readyReasons.expired : first,
    message: expired
      ? `the logins in ${target} expired at ${writtenExpiry?.toISOString()} and refreshing failed: ${detail}`
      : `${detail}${written ? `; ${target} was left as it was` : ""}`,
    retryAfterMs: retryDelayMs(options.failures, msUntilExpiry, options.random),
    expired,
  };
}
