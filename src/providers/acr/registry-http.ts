// The acr provider's own HTTPS calls to registries: the shared bounded client, https only, with the
// acr provider's limits.
import { type BoundedHttp, type BoundedResponse, createBoundedHttp } from "../../util/bounded-http.js";

export type RegistryResponse = BoundedResponse;

/**
 * Sends one request and resolves with the answer, whatever its status (redirects are answers, not
 * followed). Rejects for a URL that is not https, a network or TLS failure, a timeout, an abort, or
 * a body larger than the cap. Error messages name the URL's origin and path, never the body sent.
 */
export type RegistryHttp = BoundedHttp;

export interface RegistryHttpOptions {
  /**
   * PEM bundle trusted in addition to Node's bundled roots. Without it the agent trusts Node's
   * default store, which includes NODE_EXTRA_CA_CERTS.
   */
  ca?: string;
  /** Per-request deadline; default 30 s. */
  timeoutMs?: number;
  /** Largest body read; default 64 KiB (ACR's token answers are a few KiB). */
  maxBodyBytes?: number;
}

/**
 * Node's https client with `HTTPS_PROXY`/`NO_PROXY` honoured from the environment (Node's
 * `proxyEnv`), the extra CA bundle trusted, and the limits above.
 */
export function createRegistryHttp(options: RegistryHttpOptions = {}): RegistryHttp {
  return createBoundedHttp({ ...options, timeoutMs: options.timeoutMs ?? 30_000 });
}
