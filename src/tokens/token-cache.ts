import type { RegistryToken } from "../providers/provider.js";
import { type Clock, systemClock } from "../util/clock.js";

/** Tokens minted for one identity, and when. */
export interface MintedTokens {
  tokens: RegistryToken[];
  mintedAt: Date;
  /** Read back from a written Secret (after a restart), not minted by this process. */
  recovered?: true;
}

/**
 * Shares minted tokens between every resource that resolves to the same identity, so N resources
 * make one provider call per refresh. Concurrent requests for one identity share a single mint
 * (single flight). An entry is reused while the caller's `isFresh` accepts it; a failed mint
 * leaves the previous entry in place and is not cached.
 */
export class TokenCache {
  private readonly entries = new Map<string, MintedTokens>();
  private readonly inflight = new Map<string, Promise<MintedTokens>>();

  constructor(private readonly clock: Clock = systemClock) {}

  /**
   * Returns the cached tokens for identity when isFresh(entry) holds; otherwise mints (or joins a
   * mint already under way), stores and returns the result. Rejects with mint's error.
   */
  async get(
    identity: string,
    isFresh: (entry: MintedTokens) => boolean,
    mint: () => Promise<RegistryToken[]>,
  ): Promise<MintedTokens & { cached: boolean }> {
    const entry = this.entries.get(identity);
    if (entry && isFresh(entry)) return { ...entry, cached: true };
    let pending = this.inflight.get(identity);
    if (!pending) {
      pending = mint()
        .then((tokens) => {
          const minted = { tokens, mintedAt: new Date(this.clock.now()) };
          this.entries.set(identity, minted);
          return minted;
        })
        .finally(() => this.inflight.delete(identity));
      this.inflight.set(identity, pending);
    }
    return { ...(await pending), cached: false };
  }

  /** The tokens last minted (or seeded) for identity, fresh or not; undefined when there are none. */
  peek(identity: string): MintedTokens | undefined {
    return this.entries.get(identity);
  }

  /** Seeds an entry recovered from a written Secret (after a restart), unless one is already cached. */
  seed(identity: string, minted: MintedTokens): void {
    if (!this.entries.has(identity)) this.entries.set(identity, { ...minted, recovered: true });
  }

  /**
   * Drops entries whose every token expired before `before`, and entries of tokens with no known
   * expiry minted more than `maxAgeMs` before it (no resource renews later than its policy's
   * maxInterval, 24 h at most), so the cache does not grow without bound.
   */
  prune(before: Date, maxAgeMs = 24 * 3600_000): void {
    for (const [identity, entry] of this.entries) {
      const expired = entry.tokens.every((t) =>
        t.expiresAt !== undefined
          ? t.expiresAt < before
          : entry.mintedAt.getTime() < before.getTime() - maxAgeMs,
      );
      if (expired) this.entries.delete(identity);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
