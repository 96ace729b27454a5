import type { MintQuota } from "../providers/provider.js";
import type { ProviderName } from "../providers/registry.js";
import type { Clock } from "../util/clock.js";

/** A provider-side rate limit: mints per second, and how many may go at once after a quiet spell. */
export interface MintRate {
  perSecond: number;
  burst: number;
}

/** One quota's bucket. `tokens` goes below zero by the mints waiting for their turn. */
interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets beyond this many are pruned of those back at full burst (they hold no state worth keeping). */
const pruneAbove = 1_000;
/** Learnt quota keys kept at most; the oldest go first (a key relearnt costs one mint in the shared bucket). */
const maxLearnt = 10_000;
/**
 * The share of a cloud's rate and burst the operator uses. Calls paced exactly at the limit reach
 * the cloud bunched by network jitter, and a throttled call's retry costs another token.
 */
const defaultHeadroom = 0.9;

/** Whether `known` is a quota the unknown parts ("?") of `wildcard` may stand for. */
function covers(wildcard: string[], known: string[]): boolean {
  return wildcard.length === known.length && wildcard.every((part, i) => part === "?" || part === known[i]);
}

/**
 * Keeps the operator's mints under each cloud's own rate limit, per account and region, so that a
 * fleet-wide refresh (a rotation, a restart with expired logins, many tenants' identities due at
 * once) is spread out instead of being throttled by the cloud. One token bucket per provider and
 * quota key, filled at 90 % of the rate and burst given (headroom for jitter); mints of a provider
 * without a rate, or of a source without a quota, never wait.
 *
 * Mints take their turn in order of asking: a mint that finds the bucket empty books the next
 * slot and sleeps until it (as client-go's flowcontrol limiter blocks its caller), so the waits of
 * N mints over a burst B at rate R end after (N − B) / R seconds, with no mint early.
 *
 * A quota with unknown parts ("aws|?|eu-west-1": an account no spec names) may be any known one
 * it covers: its mints also book a slot in each covered bucket, and a bucket of a quota learnt
 * later starts no fuller than the buckets covering it. So mints of one account never exceed its
 * rate, whichever of its identities are known.
 */
export class MintRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  /** Quota keys learnt from a mint, by source identity: what became known, e.g. the caller's account. */
  private readonly learnt = new Map<string, string>();
  private readonly rates: Partial<Record<ProviderName, MintRate>> = {};

  /** `headroom`: the share of each rate and burst used (default 0.9). */
  constructor(
    private readonly clock: Clock,
    rates: Partial<Record<ProviderName, MintRate>>,
    headroom = defaultHeadroom,
  ) {
    for (const [provider, rate] of Object.entries(rates) as [ProviderName, MintRate][]) {
      if (!(rate.perSecond > 0) || !(rate.burst >= 1))
        throw new Error(`invalid mint rate for ${provider}: ${rate.perSecond}/s, burst ${rate.burst}`);
      this.rates[provider] = {
        perSecond: rate.perSecond * headroom,
        burst: Math.max(1, Math.floor(rate.burst * headroom)),
      };
    }
  }

  /** The bucket key a mint of `identity` draws on: the learnt key when a mint taught one, else the quota's. */
  keyOf(provider: ProviderName, quota: MintQuota, identity: string): string {
    return `${provider}|${this.learnt.get(identity) ?? quota.key}`;
  }

  /**
   * Resolves when the mint may call the cloud: at once while its quota's buckets hold a token,
   * else at the latest slot it books. Resolves with the milliseconds it waited (0 when it did not),
   * early (giving its slots back) when `signal` aborts; never rejects.
   */
  async acquire(
    provider: ProviderName,
    quota: MintQuota | undefined,
    identity: string,
    signal?: AbortSignal,
  ): Promise<number> {
    const rate = this.rates[provider];
    if (!rate || !quota || signal?.aborted) return 0;
    const now = this.clock.now();
    const keys = this.bucketsFor(this.keyOf(provider, quota, identity), rate, now);
    let waitMs = 0;
    for (const key of keys) {
      const bucket = this.refilled(key, rate, now);
      bucket.tokens -= 1;
      if (bucket.tokens < 0) waitMs = Math.max(waitMs, Math.ceil((-bucket.tokens / rate.perSecond) * 1000));
    }
    if (waitMs === 0) return 0;
    await this.clock.sleep(waitMs, signal);
    if (signal?.aborted) {
      for (const key of keys) this.refilled(key, rate, this.clock.now()).tokens += 1;
      return this.clock.now() - now;
    }
    return waitMs;
  }

  /**
   * Records what a mint of `identity` taught about its quota (`quota.learnedKey` of its logins), so
   * its later mints draw on that quota's bucket rather than the shared one of the unknown.
   */
  learn(identity: string, key: string | undefined): void {
    if (key === undefined || this.learnt.get(identity) === key) return;
    this.learnt.delete(identity);
    this.learnt.set(identity, key);
    if (this.learnt.size > maxLearnt) {
      const oldest = this.learnt.keys().next().value;
      if (oldest !== undefined) this.learnt.delete(oldest);
    }
  }

  /**
   * The keys of every bucket a mint on `key` books a slot in: its own, and for a key with unknown
   * parts each existing bucket it covers. A new bucket of a known key starts no fuller than the
   * buckets covering it (their mints may have been of its quota).
   */
  private bucketsFor(key: string, rate: MintRate, now: number): string[] {
    const parts = key.split("|");
    if (!this.buckets.has(key)) {
      if (this.buckets.size >= pruneAbove) this.prune(now);
      let tokens = rate.burst;
      for (const other of this.buckets.keys())
        if (covers(other.split("|"), parts))
          tokens = Math.min(tokens, this.refilled(other, rate, now).tokens);
      this.buckets.set(key, { tokens, at: now });
    }
    if (!parts.includes("?")) return [key];
    return [
      key,
      ...[...this.buckets.keys()].filter((other) => other !== key && covers(parts, other.split("|"))),
    ];
  }

  private refilled(key: string, rate: MintRate, now: number): Bucket {
    const bucket = this.buckets.get(key) ?? { tokens: rate.burst, at: now };
    bucket.tokens = Math.min(rate.burst, bucket.tokens + ((now - bucket.at) / 1000) * rate.perSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    return bucket;
  }

  private prune(now: number): void {
    for (const [key, bucket] of this.buckets) {
      const provider = key.slice(0, key.indexOf("|")) as ProviderName;
      const rate = this.rates[provider];
      if (!rate || bucket.tokens + ((now - bucket.at) / 1000) * rate.perSecond >= rate.burst)
        this.buckets.delete(key);
    }
  }
}
