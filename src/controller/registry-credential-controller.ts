import type { KubeConfig, V1Secret } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { group, type RegistryCredential, registryCredentialNames, version } from "../api/v1alpha1.js";
import type { KubeClients } from "../kube/clients.js";
import { type Informer, startableInformer } from "../kube/informer.js";
import type { OperatorMetrics } from "../metrics/metrics.js";
import type { Providers } from "../providers/registry.js";
import { annotations, managedSecretSelector } from "../secrets/ownership.js";
import type { TokenCache } from "../tokens/token-cache.js";
import type { EventRecorder } from "./events.js";
import { retryDelayMs } from "./retry-delay.js";
import { syncRegistryCredential } from "./sync-registry-credential.js";
import { WorkQueue } from "./work-queue.js";

export interface ControllerOptions {
  kc: KubeConfig;
  clients: KubeClients;
  providers: Providers;
  cache: TokenCache;
  events: EventRecorder;
  metrics: OperatorMetrics;
  logger: Logger;
  /** Watch only this namespace; all namespaces when undefined. */
  namespace?: string;
  concurrency: number;
  ambientIdentityAllowed: (namespace: string) => boolean;
}

/** What a change to a RegistryCredential must touch to need a reconcile (status-only updates do not). */
function specFingerprint(rc: RegistryCredential): string {
  const m = rc.metadata;
  return JSON.stringify([m.generation, m.deletionTimestamp ?? null, m.finalizers ?? [], m.uid]);
}

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;

/**
 * Wiring for RegistryCredentials: two informers (the resources, and only the Secrets this operator
 * labels), a work queue, and the sync function. Owns no reconcile logic of its own.
 */
export class RegistryCredentialController {
  readonly queue: WorkQueue;
  private readonly credentials: Informer<RegistryCredential>;
  private readonly secrets: Informer<V1Secret>;
  private readonly seen = new Map<string, string>();

  constructor(private readonly options: ControllerOptions) {
    const { kc, clients, logger, namespace } = options;
    const base = `/apis/${group}/${version}`;
    const plural = registryCredentialNames.plural;
    this.credentials = startableInformer<RegistryCredential>(
      kc,
      namespace ? `${base}/namespaces/${namespace}/${plural}` : `${base}/${plural}`,
      () =>
        (namespace
          ? clients.objects.listNamespacedCustomObject({ group, version, namespace, plural })
          : clients.objects.listClusterCustomObject({ group, version, plural })) as never,
      logger,
    );
    this.secrets = startableInformer<V1Secret>(
      kc,
      namespace ? `/api/v1/namespaces/${namespace}/secrets` : "/api/v1/secrets",
      () =>
        namespace
          ? clients.core.listNamespacedSecret({ namespace, labelSelector: managedSecretSelector })
          : clients.core.listSecretForAllNamespaces({ labelSelector: managedSecretSelector }),
      logger,
      managedSecretSelector,
    );
    this.queue = new WorkQueue(
      (key) => this.process(key),
      options.concurrency,
      (depth) => options.metrics.queueDepth.set({ queue: "registrycredential" }, depth),
    );

    this.credentials.on("add", (rc) => this.onCredential(rc));
    this.credentials.on("update", (rc) => this.onCredential(rc));
    this.credentials.on("delete", (rc) => {
      const key = keyOf(rc.metadata.namespace as string, rc.metadata.name as string);
      this.seen.delete(key);
      this.queue.add(key);
    });
    const onSecret = (secret: V1Secret) => {
      const owner = secret.metadata?.annotations?.[annotations.owner];
      const match = owner && /^RegistryCredential\/([^/]+)\/([^/]+)$/.exec(owner);
      if (match) this.queue.add(keyOf(match[1] as string, match[2] as string));
    };
    this.secrets.on("update", onSecret);
    this.secrets.on("delete", onSecret);
  }

  /** Starts both informers, waits for their first list, then reconciles every resource. */
  async start(): Promise<void> {
    await Promise.all([this.credentials.start(), this.secrets.start()]);
    for (const rc of this.credentials.list()) this.onCredential(rc);
    this.options.logger.info(
      { credentials: this.credentials.list().length },
      "RegistryCredential controller started",
    );
  }

  /** Stops taking work, waits for reconciles in flight, and stops the informers. */
  async stop(): Promise<void> {
    await this.queue.shutdown();
    await Promise.all([this.credentials.stop(), this.secrets.stop()]);
  }

  private onCredential(rc: RegistryCredential): void {
    const key = keyOf(rc.metadata.namespace as string, rc.metadata.name as string);
    const fingerprint = specFingerprint(rc);
    if (this.seen.get(key) === fingerprint) return;
    this.seen.set(key, fingerprint);
    this.queue.add(key);
  }

  private async process(key: string): Promise<void> {
    const [namespace, name] = key.split("/") as [string, string];
    const { clients, metrics, logger } = this.options;
    const timer = metrics.reconcileDuration.startTimer({ kind: registryCredentialNames.kind });
    try {
      const outcome = await syncRegistryCredential(
        {
          core: clients.core,
          objects: clients.objects,
          credentials: this.credentials,
          secrets: this.secrets,
          providers: this.options.providers,
          cache: this.options.cache,
          events: this.options.events,
          metrics,
          logger,
          ambientIdentityAllowed: this.options.ambientIdentityAllowed,
          now: () => new Date(),
          random: Math.random,
        },
        namespace,
        name,
        this.queue.failureCount(key) + 1,
      );
      if (outcome.failed) this.queue.recordFailure(key);
      else this.queue.forget(key);
      if (outcome.requeueAfterMs !== undefined) this.queue.addAfter(key, outcome.requeueAfterMs);
      timer({ result: outcome.failed ? "failed" : "success" });
    } catch (error) {
      const failures = this.queue.recordFailure(key);
      const delay = retryDelayMs(failures, undefined, Math.random());
      logger.error({ key, err: (error as Error).message, retryInMs: delay }, "reconcile failed");
      this.queue.addAfter(key, delay);
      timer({ result: "error" });
    }
  }
}
