// Node's http and https agents with the proxy variables honoured: what provider calls go through.
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { rootCertificates } from "node:tls";

export interface ProxyAgents {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
  /** The agent for `url`'s scheme: https for https:, http for anything else. */
  agentFor(url: URL | string): HttpAgent | HttpsAgent;
}

export interface ProxyAgentOptions {
  /**
   * PEM bundle trusted for https targets beside Node's bundled roots (and instead of
   * NODE_EXTRA_CA_CERTS). Without it the agents trust Node's default store, which includes
   * NODE_EXTRA_CA_CERTS.
   */
  ca?: string;
  /** Where the proxy variables are read; default process.env. */
  environment?: NodeJS.ProcessEnv;
}

/**
 * Keep-alive agents that send http targets through HTTP_PROXY (absolute-form requests) and https
 * targets through HTTPS_PROXY (a CONNECT tunnel, TLS end to end), unless NO_PROXY names the
 * target, with Node's rules (lower-case variables first; NO_PROXY entries `*`, host, host:port,
 * `.suffix`, `*.suffix`, IPv4 ranges `a-b`; no CIDR). The variables are read now; later changes
 * are not seen. Throws when a proxy URL is malformed.
 */
export function createProxyAgents(options: ProxyAgentOptions = {}): ProxyAgents {
  const proxyEnv = options.environment ?? process.env;
  const http = new HttpAgent({ keepAlive: true, proxyEnv });
  const https = new HttpsAgent({
    keepAlive: true,
    proxyEnv,
    ...(options.ca ? { ca: [...rootCertificates, options.ca] } : {}),
  });
  return {
    http,
    https,
    agentFor: (url) => (new URL(url).protocol === "https:" ? https : http),
  };
}
