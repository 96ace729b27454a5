import type { Server } from "node:http";
import { hostname } from "node:os";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { discoverAdmissionPolicies } from "./admission/admission-policy-api.js";
import { PodAdmissionSync } from "./admission/pod-admission.js";
import { cachedOrLiveNamespace, WebhookTargets } from "./admission/pod-admission-targets.js";
import { ambientIdentityPolicy, credentialSecretPolicy, type OperatorConfig } from "./config.js";
import { startControllers } from "./controller/controllers.js";
import type { ControllerContext } from "./controller/credential/context.js";
import { RotationRequests } from "./controller/credential/rotation.js";
import { PullFailureLists } from "./controller/pull-failures/pull-failure-lists.js";
import type { Controller } from "./controller/runtime/controller.js";
import { EventRecorder } from "./controller/runtime/events.js";
import {
  countCachedObjects,
  createInformers,
  startInformers,
  stopInformers,
} from "./controller/runtime/informers.js";
import { referencedSecretWatch } from "./controller/runtime/referenced-secret-watch.js";
import { SecretReferences } from "./controller/runtime/secret-references.js";
import { createKubeClients, type KubeClients } from "./kube/clients.js";
import { campaign } from "./leader/leadership.js";
import { LeaseElector } from "./leader/lease-elector.js";
import { guardAllWrites } from "./leader/write-guard.js";
import { OperatorMetrics } from "./metrics/metrics.js";
import { defaultAzureClientFactories } from "./providers/acr/provider.js";
import { defaultAwsClientFactories } from "./providers/ecr/provider.js";
import { defaultGoogleClientFactories } from "./providers/gar/provider.js";
import { createProviders, type ProviderDependencies } from "./providers/registry.js";
import { loadOperatorKey, type OperatorKey } from "./security/operator-key.js";
import { startHealthServer } from "./server/http-server.js";
import { MintRateLimiter } from "./tokens/mint-rate-limiter.js";
import { PendingRemints } from "./tokens/pending-remints.js";
import { TokenCache } from "./tokens/token-cache.js";
import { systemClock } from "./util/clock.js";
import { LoginVerifier } from "./verify/login-verifier.js";
import { createRegistryProbe, type RegistryProbeOptions } from "./verify/registry-probe.js";
import { type RunningWebhook, startWebhook, webhookExcludedNamespaces } from "./webhook/start-webhook.js";

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
  /** The names of the Secrets in `namespace` the operator holds in memory. */
  cachedSecretNames(namespace: string): string[];
  /**
   * Stops reconciling (waiting for reconciles in flight), releases the leader Lease if held, then
   * stops the webhook, the informers and the HTTP server.
   */
  stop(): Promise<void>;
  /** Present when config.leaderElection is set. */
  leaderElection?: {
    /** This replica's holderIdentity. */
    identity: string;
    /** Whether this replica leads (and so reconciles) right now. */
    isLeader(): boolean;
    /**
     * Resolves if this replica loses the Lease after having led (never after stop()). By then the
     * controllers refuse writes and are stopping; the caller should exit the process so that it
     * restarts with fresh state, as controller-runtime does.
     */
    lost: Promise<void>;
  };
}

export interface OperatorOverrides {
  /** Provider SDK factories; the real SDKs (honouring endpoint environment variables) when omitted. */
  providers?: ProviderDependencies;
  /** A KubeConfig to use instead of loading one from config.kubeconfig or the cluster. */
  kubeConfig?: KubeConfig;
  /** Collect process metrics (CPU, memory, event loop) too; default true. */
  processMetrics?: boolean;
  /** Where the registry check reaches hosts and what it trusts (tests point it at loopback registries). */
  registryProbe?: Pick<RegistryProbeOptions, "originOf" | "ca">;
}

/** Loads the kubeconfig named in config, else the in-cluster config, else the default locations. */
function loadKubeConfig(config: OperatorConfig): KubeConfig {
  const kc = new KubeConfig();
  if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
  else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

const pruneIntervalMs = 10 * 60_000;

/** The controllers' context: the shared parts, plus what config decides. */
function controllerContext(
  config: OperatorConfig,
  kube: KubeClients,
  shared: Pick<
    ControllerContext,
    | "informers"
    | "references"
    | "providers"
    | "cache"
    | "events"
    | "metrics"
    | "logger"
    | "podAdmission"
    | "key"
  >,
  stopping: AbortSignal,
  overrides: OperatorOverrides,
): ControllerContext {
  const verification = config.verification;
  return {
    ...shared,
    ...(verification
      ? {
          verifier: new LoginVerifier(
            createRegistryProbe({
              allowedNetworks: verification.allowedNetworks,
              insecureHosts: verification.insecureRegistries,
              ...overrides.registryProbe,
            }),
            systemClock,
            shared.metrics,
          ),
        }
      : {}),
    refusedRemintMs: verification?.refusedRemintMs ?? 5 * 60_000,
    remints: new PendingRemints(),
    mintLimiter: new MintRateLimiter(systemClock, config.mintRates),
    rotations: new RotationRequests(),
    pullFailureLists: new PullFailureLists(),
    kube,
    webhook: {
      served: config.webhook !== undefined,
      excludedNamespaces: webhookExcludedNamespaces(config.operatorNamespace),
    },
    clock: systemClock,
    random: Math.random,
    concurrency: config.concurrency,
    operatorNamespace: config.operatorNamespace,
    ambientIdentityAllowed: ambientIdentityPolicy(config),
    ambientAccessTokensAllowed: config.allowAmbientGoogleAccessTokens,
    credentialSecretsAllowed: credentialSecretPolicy(config),
    // The chart grants ServiceAccount create at cluster scope only.
    createsDefaultServiceAccounts: config.watchNamespace === undefined,
    stopping,
  };
}

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
      azure: defaultAzureClientFactories(config.azure),
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

  const policySupport = await discoverAdmissionPolicies(clients.admission, config.watchNamespace);
  const informers = createInformers(
    kc,
    clients,
    logger,
    config.watchNamespace,
    policySupport.available,
    config.watchPullFailures,
  );
  const references = new SecretReferences();
  const referenceWatch = config.watchReferencedSecrets
    ? referencedSecretWatch(kc, clients.core, config.watchNamespace, references, logger)
    : undefined;
  countCachedObjects(informers, metrics);
  const admission = new WebhookTargets({
    ...informers,
    lookupNamespace: cachedOrLiveNamespace(informers.namespaces, kc.makeApiClient(CoreV1Api)),
  });
  const election = config.leaderElection;
  const elector = election && new LeaseElector({ api: clients.coordination, ...election, logger });
  // Under leader election, the controllers' writes go through clients that refuse to write the
  // moment this replica's lease is no longer fresh (see guardWrites), whatever the elector loop knows.
  const controllerClients: KubeClients = elector
    ? guardAllWrites(clients, () => elector.isLeader())
    : clients;
  const podAdmission = new PodAdmissionSync(
    controllerClients.admission,
    // createInformers makes the policy cache exactly when policies are available.
    policySupport.available
      ? {
          available: true,
          policies: informers.admissionPolicies as NonNullable<typeof informers.admissionPolicies>,
        }
      : policySupport,
  );
  const eventSource = elector ? elector.identity : `${hostname()}-${process.pid}`;
  const events = new EventRecorder(controllerClients.core, logger, eventSource);
  const stopping = new AbortController();
  let controllers: Controller[] = [];
  // Controllers subscribe to the informers when constructed and reconcile from then on, so under
  // leader election they are only constructed once this replica leads.
  const start = (key: OperatorKey) => {
    const shared = { informers, references, providers, cache, events, metrics, logger, podAdmission, key };
    controllers = startControllers(
      controllerContext(config, controllerClients, shared, stopping.signal, overrides),
      config.pullFailureRemintMs,
    );
  };
  const stopControllers = async () => {
    stopping.abort();
    await Promise.all(controllers.map((c) => c.stop()));
  };
  const prune = setInterval(() => cache.prune(new Date()), pruneIntervalMs);
  prune.unref();

  let webhook: RunningWebhook | undefined;
  let key: OperatorKey;
  try {
    [key] = await Promise.all([
      loadOperatorKey(clients.core, config.operatorNamespace, config.operatorKeySecret, logger),
      startInformers(informers),
      // Before any controller runs: a change after its first list is never missed.
      referenceWatch?.start(),
    ]);
    // Every replica serves the webhook (not only the leader), so admission never waits on a failover.
    if (config.webhook)
      webhook = await startWebhook(config.webhook, config, clients, admission, logger, metrics);
    if (!elector) start(key);
  } catch (error) {
    server.close();
    await webhook?.stop();
    await referenceWatch?.stop();
    await stopInformers(informers);
    throw error;
  }
  ready = true;
  logger.info(
    {
      metrics: `${address.host}:${address.port}`,
      namespace: config.watchNamespace ?? "(all)",
      ...(elector ? { identity: elector.identity, lease: `${election?.namespace}/${election?.name}` } : {}),
    },
    elector ? "operator ready; campaigning for leadership" : "operator ready",
  );

  let stopped = false;
  const leaderElection: RunningOperator["leaderElection"] = elector && {
    identity: elector.identity,
    isLeader: () => elector.isLeader(),
    lost: campaign(elector, logger, { start: () => start(key), stop: stopControllers }, () => stopped).lost,
  };

  return {
    metrics,
    address,
    ready: () => ready,
    admission,
    ...(webhook ? { webhookPort: webhook.port } : {}),
    ...(leaderElection ? { leaderElection } : {}),
    async idle() {
      await Promise.all(controllers.map((c) => c.idle()));
    },
    cachedSecretNames: (namespace) => informers.secrets.list(namespace).map((s) => s.metadata?.name ?? ""),
    async stop() {
      ready = false;
      stopped = true;
      clearInterval(prune);
      await stopControllers();
      // Release only after the controllers' last writes, so the next leader starts from them.
      await elector?.stop();
      await webhook?.stop();
      await referenceWatch?.stop();
      await stopInformers(informers);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}
