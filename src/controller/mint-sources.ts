import type { CredentialSource } from "../api/v1alpha1.js";
import type { OperatorMetrics } from "../metrics/metrics.js";
import { asCredentialError, CredentialError } from "../providers/errors.js";
import type { RegistryToken, SourceAccess } from "../providers/provider.js";
import { bindSource, type ProviderName, type Providers } from "../providers/registry.js";
import { type ResolvedRefreshPolicy, refreshTime } from "../tokens/refresh-schedule.js";
import type { MintedTokens, TokenCache } from "../tokens/token-cache.js";

export interface SourceResult {
  index: number;
  provider: ProviderName;
  /** Short description for messages, e.g. "ecr eu-west-1". */
  label: string;
  identity?: string;
  minted?: MintedTokens & { cached: boolean };
  error?: CredentialError;
}

/** Earliest known expiry among tokens; undefined when none reports one. */
export function earliestExpiry(tokens: readonly RegistryToken[]): Date | undefined {
  const times = tokens.flatMap((t) => (t.expiresAt ? [t.expiresAt.getTime()] : []));
  return times.length ? new Date(Math.min(...times)) : undefined;
}

export function describeSource(source: CredentialSource): string {
  if (source.ecr) return `ecr ${source.ecr.region}`;
  if (source.gar) return `gar ${source.gar.registries.join(",")}`;
  return "unknown provider";
}

/** The spec problems of every source (empty when all are valid), each prefixed with its path. */
export function validateSources(sources: readonly CredentialSource[], providers: Providers): string[] {
  return sources.flatMap((source, index) => {
    const bound = bindSource(source, providers);
    if (!bound) return [`spec.sources[${index}]: set exactly one provider block (ecr or gar)`];
    return bound.validate().map((problem) => `spec.sources[${index}].${bound.name}: ${problem}`);
  });
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
}

/**
 * Resolves every source and gets its tokens from the shared cache, minting only when the cached
 * tokens for that identity are due for refresh under this resource's policy. A source's failure is
 * reported in its result as a CredentialError, never thrown; it throws only for a source without
 * exactly one provider block, which validateSources reports first.
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
      const result: SourceResult = { index, provider, label: describeSource(source) };
      try {
        const resolved = await bound.resolve(ctx.accessFor(source));
        result.identity = resolved.identity;
        const recovered = ctx.recover?.(index, resolved.identity);
        if (recovered) ctx.cache.seed(resolved.identity, recovered);
        result.minted = await ctx.cache.get(
          resolved.identity,
          (entry) =>
            ctx.now() < refreshTime(entry.mintedAt, earliestExpiry(entry.tokens), ctx.policy, ctx.jitter),
          async () => {
            const timer = ctx.metrics.providerCallDuration.startTimer({ provider });
            try {
              const tokens = await resolved.mint();
              if (tokens.length === 0)
                throw new CredentialError("ProviderError", `${provider} returned no registry logins`);
              ctx.metrics.providerCalls.inc({ provider, outcome: "success" });
              return tokens;
            } catch (error) {
              ctx.metrics.providerCalls.inc({ provider, outcome: "error" });
              throw error;
            } finally {
              timer();
            }
          },
        );
      } catch (error) {
        result.error = asCredentialError(error, `${result.label}`);
      }
      return result;
    }),
  );
}
