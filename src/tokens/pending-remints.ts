import { identityFingerprint } from "../controller/credential/recover-tokens.js";

/**
 * Identities that pods failing to pull asked to have minted afresh, by the fingerprint status
 * shows (status.sources[].identity). Each request is taken once: the first sync that resolves the
 * identity mints it anew, every other resource sharing it then gets that fresh mint from the cache.
 */
export class PendingRemints {
  private readonly pending = new Set<string>();

  request(fingerprint: string): void {
    this.pending.add(fingerprint);
  }

  /** True, once, when `identity`'s fingerprint was requested; the request is consumed. */
  take(identity: string): boolean {
    return this.pending.delete(identityFingerprint(identity));
  }
}
