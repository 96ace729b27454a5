import type { CredentialSource } from "../../api/v1alpha1.js";
import type { OperatorMetrics } from "../../metrics/metrics.js";
import { asCredentialError, CredentialError } from "../../providers/errors.js";
import type { RegistryToken, SourceAccess } from "../../providers/provider.js";
import { bindSource, type ProviderName, type Providers } from "../../providers/registry.js";
import { withAliases, withoutAliases } from "../../providers/source-aliases.js";
import type { MintRateLimiter } from "../../tokens/mint-rate-limiter.js";
import { type ResolvedRefreshPolicy, refreshTime } from "../../tokens/refresh-schedule.js";
import type { MintedTokens, TokenCache } from "../../tokens/token-cache.js";
import { abortable, StoppedError } from "../../util/abortable.js";
import { type LoginCheck, type LoginVerifier, refusedReasons } from "../../verify/login-verifier.js";

export interface SourceResult {
  index: number;
  provider: ProviderName;
  /** Short description for messages, e.g. "ecr eu-west-1". */
  label: string;
  identity?: string;
  /** The source's logins never expire (ResolvedSource.nonExpiring). */
  nonExpiring?: boolean;
  /** What the source writes: its provider's logins, and the same login under each of its aliases. */
  minted?: MintedTokens & { cached: boolean };
  error?: CredentialError;
  /**
   * What the registries said of the source's logins (one per host the provider wrote, never the
   * aliases): this sync's checks, or the memoised ones; undefined when none was made (verification
   * off, or logins recovered after a restart that are not due for a check).
   */
  checks?: LoginCheck[];
  /** Under Enforce, a registry refused the source's new login: it is not written (error says so). */
  refused?: boolean;
}

/** How a resource's logins are checked against their registries (spec.verify, resolved). */
interface VerifyContext {
  verifier: LoginVerifier;
  mode: "Warn" | "Enforce";
  /** spec.verify.interval: check logins in use this often, not only after a mint. */
  intervalMs?: number;
  /** A login a registry refused is minted again once it is this old (both modes). */
  refusedRemintMs: number;
}

/** Earliest known expiry among tokens; undefined when none reports one. */
export function earliestExpiry(tokens: readonly RegistryToken[]): Date | undefined {
  const times = tokens.flatMap((t) => (t.expiresAt ? [t.expiresAt.getTime()] : []));
  return times.length ? new Date(Math.min(...times)) : undefined;
}

/**
 * When tokens minted at `mintedAt` are due for renewal: after maxInterval for logins that never
 * expire, else by refreshTime (from their earliest reported expiry).
 */
export function renewalTime(
  minted: MintedTokens,
  nonExpiring: boolean | undefined,
  policy: ResolvedRefreshPolicy,
  jitter: number,
): Date {
  if (nonExpiring) return new Date(minted.mintedAt.getTime() + policy.maxIntervalMs);
  return refreshTime(minted.mintedAt, earliestExpiry(minted.tokens), policy, jitter);
}

export interface MintContext {
  providers: Providers;
  cache: TokenCache;
  /** Where a source's references resolve, and whether it may use ambient identity. */
  accessFor: (source: CredentialSource) => SourceAccess;
  policy: ResolvedRefreshPolicy;
  jitter: number;
  metrics: OperatorMetrics;
  now: () => Date;
  /** Tokens this source wrote before (e.g. before a restart) for the identity, to seed the cache with. */
  recover?: (index: number, identity: string) => MintedTokens | undefined;
  /** The longest a source's resolve, and then its mint, may take; default 60 s. */
  deadlineMs?: number;
  /** Aborted when the operator stops: every resolve and mint in flight gives up at once. */
  stopping?: AbortSignal;
  /**
   * A rotation asked for at this time: a source whose cached logins were minted earlier is minted
   * afresh (or joins a mint under way); logins minted since, for another resource of the identity,
   * carry the rotation out too.
   */
  rotationAskedAt?: Date;
  /**
   * Whether to mint `identity` afresh whatever the cache holds, asked once per identity (a pod
   * failing to pull said the registry refused its login); counted in regcred_pull_failure_remints_total.
   */
  remintRequested?: (identity: string) => boolean;
  /** Check each new login against its registry; absent when verification is off. */
  verify?: VerifyContext;
  /** Keeps mints under each cloud's rate limit (ResolvedSource.quota); absent: mints never wait. */
  limiter?: MintRateLimiter;
}

/** Whether a registry refused any of the entry's logins when last asked. */
function refusedBy(entry: MintedTokens, source: CredentialSource, verify: VerifyContext): boolean {
  return entry.tokens.some((login) => {
    const check = verify.verifier.settled(login, source.verify?.image);
    return check !== undefined && refusedReasons.has(check.reason);
  });
}

/**
 * Whether a registry refused any of the entry's logins long enough ago to mint again. A canary
 * refused with Forbidden is not: the identity authenticates but may not pull that repository, which
 * a fresh login of the same identity does not change.
 */
function refusedLongAgo(entry: MintedTokens, source: CredentialSource, ctx: MintContext): boolean {
  const verify = ctx.verify;
  if (!verify) return false;
  return entry.tokens.some((login) => {
    const check = verify.verifier.settled(login, source.verify?.image);
    return (
      check !== undefined &&
      refusedReasons.has(check.reason) &&
      !(check.image !== undefined && check.reason === "Forbidden") &&
      ctx.now().getTime() - check.at.getTime() >= verify.refusedRemintMs
    );
  });
}

/**
 * The checks of a source's logins: each new login is checked once (the verifier memoises by login),
 * a login already checked is checked again when spec.verify.interval says so, and logins recovered
 * from a Secret after a restart only when an interval is set (their last checks are in status).
 */
async function checksOf(
  minted: MintedTokens & { cached: boolean },
  source: CredentialSource,
  provider: ProviderName,
  verify: VerifyContext,
  signal: AbortSignal | undefined,
): Promise<LoginCheck[] | undefined> {
  const image = source.verify?.image;
  const due = minted.tokens.filter(
    (login) =>
      !minted.cached ||
      verify.verifier.checked(login, image) ||
      !minted.recovered ||
      verify.intervalMs !== undefined,
  );
  if (due.length === 0) return undefined;
  return Promise.all(
    due.map((login) =>
      verify.verifier.check(login, {
        provider,
        ...(image ? { image } : {}),
        ...(verify.intervalMs !== undefined ? { maxAgeMs: verify.intervalMs } : {}),
        ...(signal ? { signal } : {}),
      }),
    ),
  );
}

/** How long one resolve, or one mint, may take before the source fails with "timed out". */
const defaultDeadlineMs = 60_000;

/**
 * Runs `work` under a deadline and the stop signal: the signal it gets aborts at either, and the
 * returned promise settles then even if `work` ignores the signal. A timeout becomes a ProviderError
 * "<label>: <what> timed out after N s"; a stop becomes StoppedError.
 */
async function bounded<T>(
  ctx: MintContext,
  label: string,
  what: string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const ms = ctx.deadlineMs ?? defaultDeadlineMs;
  const timeout = AbortSignal.timeout(ms);
  const signal = ctx.stopping ? AbortSignal.any([timeout, ctx.stopping]) : timeout;
  try {
    return await abortable(work(signal), signal);
  } catch (error) {
    if (ctx.stopping?.aborted) throw new StoppedError(`the operator stopped during ${what} of ${label}`);
    if (timeout.aborted)
      throw new CredentialError(
        "ProviderError",
        `${label}: ${what} timed out after ${ms / 1000} s without an answer`,
      );
    throw error;
  }
}

/**
 * Resolves every source and gets its tokens from the shared cache, minting only when the cached
 * tokens for that identity are due for refresh under this resource's policy. Each resolve and each
 * mint has a deadline (ctx.deadlineMs): a provider that does not answer fails its source with
 * "timed out" and frees the caller, and the identity's single flight with it. A source's failure is
 * reported in its result as a CredentialError, never thrown. With ctx.rotationAskedAt no entry minted
 * before it is fresh: each identity is minted anew once (or joins a mint under way). It throws StoppedError when
 * ctx.stopping aborts, and an Error for a source without exactly one provider block, which
 * validateSources reports first.
 */
export async function mintSources(
  sources: readonly CredentialSource[],
  ctx: MintContext,
): Promise<SourceResult[]> {
  return Promise.all(
    sources.map(async (source, index): Promise<SourceResult> => {
      const bound = bindSource(source, ctx.providers);
      if (!bound)
        throw new Error(`spec.sources[${index}] has no single provider block; validate sources first`);
      const provider = bound.name;
      const result: SourceResult = {
        index,
        provider,
        label: bindSource(source)?.describe() ?? "unknown provider",
      };
      try {
        const resolved = await bounded(ctx, result.label, "resolving its references", () =>
          bound.resolve(ctx.accessFor(source)),
        );
        result.identity = resolved.identity;
        if (resolved.nonExpiring) result.nonExpiring = true;
        // The cache holds what the provider minted; aliases are this source's, added on the way out.
        const recovered = ctx.recover?.(index, resolved.identity);
        if (recovered)
          ctx.cache.seed(resolved.identity, {
            ...recovered,
            tokens: withoutAliases(source, recovered.tokens),
          });
        const remint = ctx.remintRequested?.(resolved.identity) ?? false;
        if (remint) ctx.metrics.pullFailureRemints.inc({ provider });
        const minted = await ctx.cache.get(
          resolved.identity,
          (entry) =>
            (ctx.rotationAskedAt === undefined || entry.mintedAt > ctx.rotationAskedAt) &&
            !remint &&
            ctx.now() < renewalTime(entry, resolved.nonExpiring, ctx.policy, ctx.jitter) &&
            !refusedLongAgo(entry, source, ctx),
          async () => {
            // The wait for the cloud's rate limit is not the provider's time: it is outside the deadline.
            const waitedMs = await ctx.limiter?.acquire(
              provider,
              resolved.quota,
              resolved.identity,
              ctx.stopping,
            );
            if (ctx.stopping?.aborted)
              throw new StoppedError(`the operator stopped before the mint of ${result.label}`);
            if (waitedMs !== undefined && resolved.quota)
              ctx.metrics.mintRateLimitWait.observe({ provider }, waitedMs / 1000);
            const timer = ctx.metrics.providerCallDuration.startTimer({ provider });
            try {
              const tokens = await bounded(ctx, result.label, "the mint", (signal) => resolved.mint(signal));
              if (tokens.length === 0)
                throw new CredentialError("ProviderError", `${provider} returned no registry logins`);
              ctx.metrics.providerCalls.inc({ provider, outcome: "success" });
              ctx.limiter?.learn(resolved.identity, resolved.quota?.learnedKey?.(tokens));
              return tokens;
            } catch (error) {
              ctx.metrics.providerCalls.inc({ provider, outcome: "error" });
              throw error;
            } finally {
              timer();
            }
          },
        );
        if (ctx.verify) {
          const checks = await checksOf(minted, source, provider, ctx.verify, ctx.stopping);
          if (checks) result.checks = checks;
          const refused = checks?.filter((c) => refusedReasons.has(c.reason)) ?? [];
          if (ctx.verify.mode === "Enforce" && refused.length > 0) {
            result.refused = true;
            throw new CredentialError(
              "RegistryRefused",
              `the registry refused the login minted at ${minted.mintedAt.toISOString()} (${refused.map((c) => `${c.host}: ${c.reason}, ${c.message}`).join("; ")}); under spec.verify.mode Enforce a refused login never replaces the one written before`,
              false,
            );
          }
        }
        result.minted = { ...minted, tokens: withAliases(source, minted.tokens) };
      } catch (error) {
        if (error instanceof StoppedError) throw error;
        // The cache may hold a login the registry refused and Enforce never wrote (a later mint
        // failed): the source's last login is then the Secret's, never the cached one.
        if (ctx.verify?.mode === "Enforce" && result.identity && !result.refused) {
          const cached = ctx.cache.peek(result.identity);
          if (cached && refusedBy(cached, source, ctx.verify)) result.refused = true;
        }
        result.error = asCredentialError(error, `${result.label}`);
      }
      return result;
    }),
  );
}
