import type { V1Secret, V1ServiceAccount } from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { PodAdmissionSync } from "../../admission/pod-admission.js";
import { type RegistryCredential, registryCredentialNames } from "../../api/v1alpha1.js";
import type { KubeClients } from "../../kube/clients.js";
import type { OperatorMetrics } from "../../metrics/metrics.js";
import type { Providers } from "../../providers/registry.js";
import { annotations } from "../../secrets/ownership.js";
import type { OperatorKey } from "../../security/operator-key.js";
import { addedByOperator } from "../../serviceaccounts/pull-secret-patch.js";
import { selectsServiceAccount } from "../../serviceaccounts/selection.js";
import type { TokenCache } from "../../tokens/token-cache.js";
import type { WebhookCoverage } from "../credential/pod-admission-condition.js";
import type { EventRecorder } from "../runtime/events.js";
import type { Informers } from "../runtime/informers.js";
import { runSync } from "../runtime/run-sync.js";
import { WorkQueue } from "../runtime/work-queue.js";
import { type SyncDependencies, syncRegistryCredential } from "./sync.js";

export interface ControllerOptions {
  clients: KubeClients;
  informers: Informers;
  providers: Providers;
  cache: TokenCache;
  events: EventRecorder;
  metrics: OperatorMetrics;
  logger: Logger;
  podAdmission: PodAdmissionSync;
  key: OperatorKey;
  webhook: WebhookCoverage;
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
 * Wiring for RegistryCredentials: informer events → work queue → sync function. Reacts to its
 * resources (at once), and to the Secrets it wrote and the ServiceAccounts it selects or patched
 * (at once, unless the resource is backing off after a failure: then its retry stands). Owns no
 * reconcile logic of its own.
 */
export class RegistryCredentialController {
  readonly queue: WorkQueue;
  private readonly stopping = new AbortController();
  private readonly seen = new Map<string, string>();

  private readonly deps: SyncDependencies;

  constructor(private readonly options: ControllerOptions) {
    const { clients, informers, metrics, logger } = options;
    this.deps = {
      core: clients.core,
      objects: clients.objects,
      credentials: informers.credentials,
      secrets: informers.secrets,
      serviceAccounts: informers.serviceAccounts,
      providers: options.providers,
      cache: options.cache,
      events: options.events,
      metrics,
      logger,
      podAdmission: options.podAdmission,
      key: options.key,
      webhook: options.webhook,
      stopping: this.stopping.signal,
      ambientIdentityAllowed: options.ambientIdentityAllowed,
      now: () => new Date(),
      random: Math.random,
    };
    this.queue = new WorkQueue(
      (key) => this.process(key),
      options.concurrency,
      (depth) => metrics.queueDepth.set({ queue: "registrycredential" }, depth),
      undefined,
      true,
    );
    informers.credentials.on("add", (rc) => this.onCredential(rc));
    informers.credentials.on("update", (rc) => this.onCredential(rc));
    informers.credentials.on("delete", (rc) => {
      const key = keyOf(rc.metadata.namespace as string, rc.metadata.name as string);
      this.seen.delete(key);
      this.queue.add(key);
    });
    // Its own Secret changed or went away: only when the annotations name this resource and its uid.
    const onSecret = (secret: V1Secret) => {
      const owner = secret.metadata?.annotations?.[annotations.owner];
      const [, namespace, name] = (owner && /^RegistryCredential\/([^/]+)\/([^/]+)$/.exec(owner)) || [];
      if (!namespace || !name || namespace !== secret.metadata?.namespace) return;
      const rc = informers.credentials.get(name, namespace);
      if (rc && rc.metadata.uid === secret.metadata?.annotations?.[annotations.ownerUid])
        this.queue.touch(keyOf(namespace, name));
    };
    informers.secrets.on("update", onSecret);
    informers.secrets.on("delete", onSecret);
    // A ServiceAccount the resource selects, or one it patched before (which may have left the selection).
    const onAccount = (account: V1ServiceAccount) => {
      const namespace = account.metadata?.namespace as string;
      for (const rc of informers.credentials.list(namespace)) {
        const secretName = rc.spec.secret?.name ?? (rc.metadata.name as string);
        if (selectsServiceAccount(rc.spec.serviceAccounts, account) || addedByOperator(account, secretName))
          this.queue.touch(keyOf(namespace, rc.metadata.name as string));
      }
    };
    informers.serviceAccounts.on("add", onAccount);
    informers.serviceAccounts.on("update", onAccount);
  }

  /** Reconciles every resource; call once the informers have synced. */
  start(): void {
    for (const rc of this.options.informers.credentials.list()) this.onCredential(rc);
    this.queue.resume();
    this.options.logger.info(
      { credentials: this.options.informers.credentials.list().length },
      "RegistryCredential controller started",
    );
  }

  /** Stops taking work and waits for reconciles in flight. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.queue.shutdown();
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
    const timer = this.options.metrics.reconcileDuration.startTimer({ kind: registryCredentialNames.kind });
    await runSync(
      this.queue,
      key,
      this.options.logger,
      (result) => timer({ result }),
      (failures) => syncRegistryCredential(this.deps, namespace, name, failures),
    );
  }
}
