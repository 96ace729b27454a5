import { createHash } from "node:crypto";
import type { AgentOptions } from "node:https";
import type { Cluster, KubeConfig } from "@kubernetes/client-node";

type DispatcherFactory = (cluster: Cluster | null, agentOptions: AgentOptions) => unknown;

const shared = new WeakSet<KubeConfig>();

/**
 * Makes every API call through `kc` reuse one connection pool per TLS configuration.
 * @kubernetes/client-node 2.0.1 builds a new undici Agent for every request, so each call opens a
 * fresh TLS connection and idle sockets pile up (the fan-out benchmark saw ~600 sockets and several
 * hundred MB at 5,000 namespaces). This memoizes that factory on this KubeConfig instance, keyed by
 * the dispatcher options (CA, client certificate, proxy), so rotated credentials still get a new
 * pool. Idempotent. Relies on the library's private `createDispatcher`; fails loudly if it is gone.
 */
export function shareConnections(kc: KubeConfig): KubeConfig {
  if (shared.has(kc)) return kc;
  const target = kc as unknown as { createDispatcher?: DispatcherFactory };
  const original = target.createDispatcher?.bind(kc);
  if (!original)
    throw new Error(
      "@kubernetes/client-node no longer has KubeConfig.createDispatcher; revisit shareConnections",
    );
  const pools = new Map<string, unknown>();
  target.createDispatcher = (cluster, agentOptions) => {
    const options = kc.createDispatcherOptions(cluster, agentOptions);
    const key = createHash("sha256")
      .update(JSON.stringify([cluster?.server, cluster?.proxyUrl, options]))
      .digest("hex");
    if (!pools.has(key)) pools.set(key, original(cluster, agentOptions));
    return pools.get(key);
  };
  shared.add(kc);
  return kc;
}
