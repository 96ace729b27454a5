import type { Server } from "node:http";
import { hostname } from "node:os";
import { ApiException, KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { PodAdmissionSync } from "./admission/pod-admission.js";
import { ambientIdentityPolicy, type OperatorConfig } from "./config.js";
import { ClusterRegistryCredentialController } from "./controller/cluster/cluster-registry-credential-controller.js";
import { EventRecorder } from "./controller/events.js";
import { createInformers, startInformers, stopInformers } from "./controller/informers.js";
import { WebhookTargets } from "./controller/pod-admission-targets.js";
import { RegistryCredentialController } from "./controller/registry-credential-controller.js";
import { createKubeClients } from "./kube/clients.js";
import { OperatorMetrics } from "./metrics/metrics.js";
import { defaultAwsClientFactories } from "./providers/ecr/provider.js";
import { defaultGoogleClientFactories } from "./providers/gar/provider.js";
import { createProviders, type ProviderDependencies } from "./providers/registry.js";
import { startHealthServer } from "./server/http-server.js";
import { TokenCache } from "./tokens/token-cache.js";
import { type RunningWebhook, startWebhook } from "./webhook/start-webhook.js";

export interface RunningOperator {
  metrics: OperatorMetrics;
  /** The bound /metrics, /healthz and /readyz address. */
  address: { host: string; port: number };
  ready(): boolean;
  /** Which Secrets the pod admission webhook injects where. */
  admission: WebhookTargets;
  /** The webhook's port, when it is served. */
  webhookPort?: number;
  /** Resolves when no reconcile is queued or running (delayed requeues do not count). */
  idle(): Promise<void>;
  /** Stops reconciling (waiting for reconciles in flight), the informers and the HTTP server. */
  stop(): Promise<void>;
}

export interface OperatorOverrides {
  /** Provider SDK factories; the real SDKs (honouring endpoint environment variables) when omitted. */
  providers?: ProviderDependencies;
  /** A KubeConfig to use instead of loading one from config.kubeconfig or the cluster. */
  kubeConfig?: KubeConfig;
  /** Collect process metrics (CPU, memory, event loop) too; default true. */
  processMetrics?: boolean;
}

/** Loads the kubeconfig named in config, else the in-cluster config, else the default locations. */
export function loadKubeConfig(config: OperatorConfig): KubeConfig {
  const kc = new KubeConfig();
  if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
  else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

const pruneIntervalMs = 10 * 60_000;

/**
 * Composition root: builds clients, providers, cache, metrics and controllers from config, serves
 * health and metrics, and starts reconciling. Resolves once the caches have synced. Rejects when
 * the HTTP server cannot bind or the kubeconfig cannot be loaded.
 */
export async function startOperator(
  config: OperatorConfig,
  logger: Logger,
  overrides: OperatorOverrides = {},
): Promise<RunningOperator> {
  const kc = overrides.kubeConfig ?? loadKubeConfig(config);
  const clients = createKubeClients(kc, { qps: config.kubeApiQps, burst: config.kubeApiBurst });
  const metrics = new OperatorMetrics({ processMetrics: overrides.processMetrics ?? true });
  const providers = createProviders(
    overrides.providers ?? {
      aws: defaultAwsClientFactories(),
      google: defaultGoogleClientFactories(config.google),
    },
  );
  const cache = new TokenCache();
  let ready = false;
  const server: Server = await startHealthServer({
    ...config.metricsAddress,
    registry: metrics.registry,
    ready: () => ready,
  });
  const bound = server.address();
  const address =
    bound && typeof bound === "object" ? { host: bound.address, port: bound.port } : config.metricsAddress;

  const informers = createInformers(kc, clients, logger, config.watchNamespace);
  const events = new EventRecorder(clients.core, logger, `${hostname()}-${process.pid}`);
  const admission = new WebhookTargets(async (name) => {
    const cached = informers.namespaces?.get(name);
    if (cached) return cached;
    // A namespace created a moment ago may not be cached yet; its pods must still be covered.
    return clients.core.readNamespace({ name }).catch((error: unknown) => {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    });
  });
  const podAdmission = new PodAdmissionSync(clients.admission, admission, logger);
  const shared = {
    clients,
    providers,
    cache,
    events,
    metrics,
    logger,
    podAdmission,
    concurrency: config.concurrency,
  };
  const controllers: { start(): void; stop(): Promise<void>; queue: { idle(): Promise<void> } }[] = [
    new RegistryCredentialController({
      ...shared,
      informers,
      ambientIdentityAllowed: ambientIdentityPolicy(config),
    }),
  ];
  if (informers.clusterCredentials && informers.namespaces) {
    controllers.push(
      new ClusterRegistryCredentialController({
        ...shared,
        informers: {
          ...informers,
          clusterCredentials: informers.clusterCredentials,
          namespaces: informers.namespaces,
        },
        operatorNamespace: config.operatorNamespace,
      }),
    );
  }
  const prune = setInterval(() => cache.prune(new Date()), pruneIntervalMs);
  prune.unref();

  let webhook: RunningWebhook | undefined;
  try {
    await Promise.all([startInformers(informers), podAdmission.init()]);
    // Every replica serves the webhook (not only the leader), so admission never waits on a failover.
    if (config.webhook)
      webhook = await startWebhook(config.webhook, config.operatorNamespace, clients, admission, logger);
    for (const controller of controllers) controller.start();
  } catch (error) {
    server.close();
    await webhook?.stop();
    await stopInformers(informers);
    throw error;
  }
  ready = true;
  logger.info(
    { metrics: `${address.host}:${address.port}`, namespace: config.watchNamespace ?? "(all)" },
    "operator ready",
  );

  return {
    metrics,
    address,
    ready: () => ready,
    admission,
    ...(webhook ? { webhookPort: webhook.port } : {}),
    async idle() {
      await Promise.all(controllers.map((c) => c.queue.idle()));
    },
    async stop() {
      ready = false;
      clearInterval(prune);
      await Promise.all(controllers.map((c) => c.stop()));
      await webhook?.stop();
      await stopInformers(informers);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}
