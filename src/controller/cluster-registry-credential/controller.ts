import type { V1Namespace, V1Secret, V1ServiceAccount } from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { PodAdmissionSync } from "../../admission/pod-admission.js";
import { type ClusterRegistryCredential, clusterRegistryCredentialNames } from "../../api/v1alpha1.js";
import type { KubeClients } from "../../kube/clients.js";
import type { Informer } from "../../kube/informer.js";
import type { OperatorMetrics } from "../../metrics/metrics.js";
import type { Providers } from "../../providers/registry.js";
import { annotations, ownerKey, type SecretOwner } from "../../secrets/ownership.js";
import type { OperatorKey } from "../../security/operator-key.js";
import { pullSecretAnnotation } from "../../serviceaccounts/pull-secret-patch.js";
import { selectsServiceAccount } from "../../serviceaccounts/selection.js";
import type { TokenCache } from "../../tokens/token-cache.js";
import type { WebhookCoverage } from "../credential/pod-admission-condition.js";
import type { FanOutPlan, NamespaceResult } from "../credential/targets.js";
import type { EventRecorder } from "../runtime/events.js";
import type { Informers } from "../runtime/informers.js";
import { runSync } from "../runtime/run-sync.js";
import { WorkQueue } from "../runtime/work-queue.js";
import { isTargeted } from "./namespace-selection.js";
import { type ClusterSyncDependencies, syncClusterNamespace, syncClusterRegistryCredential } from "./sync.js";

export interface ClusterControllerOptions {
  clients: KubeClients;
  informers: Required<Pick<Informers, "clusterCredentials" | "namespaces">> & Informers;
  providers: Providers;
  cache: TokenCache;
  events: EventRecorder;
  metrics: OperatorMetrics;
  logger: Logger;
  podAdmission: PodAdmissionSync;
  key: OperatorKey;
  webhook: WebhookCoverage;
  operatorNamespace: string;
  /** Whether gar sources may fan out the operator's own Google access token. */
  ambientAccessTokensAllowed: boolean;
  concurrency: number;
}

/** "ClusterRegistryCredential/<name>", as ServiceAccount patch annotations name their owner. */
const ownerKeyOf = (crc: ClusterRegistryCredential) =>
  ownerKey({ kind: clusterRegistryCredentialNames.kind, name: crc.metadata.name } as SecretOwner);

/** How long namespace-level changes wait before the resource's status is recounted. */
const statusDebounceMs = 1000;
const fullKey = (name: string) => `full/${name}`;
const namespaceKey = (name: string, namespace: string) => `ns/${name}/${namespace}`;

/**
 * Wiring for ClusterRegistryCredentials. Two kinds of work share one queue: a full sync per resource
 * (mint, fan out to every namespace, clean up, status) and a namespace-level sync per (resource,
 * namespace), so a new namespace or ServiceAccount is handled at once, even while a full rotation
 * across thousands of namespaces is under way. Only namespaces, ServiceAccounts and Secrets the
 * resource selects or wrote queue work for it, and none of them runs a failing full sync (and its
 * cloud calls) before its backoff ends.
 */
export class ClusterRegistryCredentialController {
  readonly queue: WorkQueue;
  private readonly stopping = new AbortController();
  private readonly deps: ClusterSyncDependencies;
  private readonly seen = new Map<string, string>();
  private readonly credentials: Informer<ClusterRegistryCredential>;

  constructor(private readonly options: ClusterControllerOptions) {
    const { informers, metrics, clients } = options;
    this.credentials = informers.clusterCredentials;
    this.queue = new WorkQueue(
      (key) => this.process(key),
      options.concurrency,
      (depth) => metrics.queueDepth.set({ queue: "clusterregistrycredential" }, depth),
      undefined,
      true,
    );
    this.deps = {
      core: clients.core,
      objects: clients.objects,
      clusterCredentials: informers.clusterCredentials,
      namespaces: informers.namespaces,
      secrets: informers.secrets,
      serviceAccounts: informers.serviceAccounts,
      providers: options.providers,
      cache: options.cache,
      events: options.events,
      metrics,
      logger: options.logger,
      podAdmission: options.podAdmission,
      key: options.key,
      webhook: options.webhook,
      stopping: this.stopping.signal,
      operatorNamespace: options.operatorNamespace,
      ambientAccessTokensAllowed: options.ambientAccessTokensAllowed,
      concurrency: options.concurrency,
      plans: new Map<string, FanOutPlan>(),
      results: new Map<string, Map<string, NamespaceResult>>(),
      now: () => new Date(),
      random: Math.random,
    };

    const onCredential = (crc: ClusterRegistryCredential) => {
      const name = crc.metadata.name as string;
      const m = crc.metadata;
      const fingerprint = JSON.stringify([
        m.generation,
        m.deletionTimestamp ?? null,
        m.finalizers ?? [],
        m.uid,
      ]);
      if (this.seen.get(name) === fingerprint) return;
      this.seen.set(name, fingerprint);
      this.queue.add(fullKey(name));
    };
    this.credentials.on("add", onCredential);
    this.credentials.on("update", onCredential);
    this.credentials.on("delete", (crc) => {
      this.seen.delete(crc.metadata.name as string);
      this.queue.add(fullKey(crc.metadata.name as string));
    });

    // A namespace matters to a resource when the resource selects it, or it holds what the resource
    // wrote there (it may just have left the selection).
    const onNamespace = (ns: V1Namespace) => {
      const namespace = ns.metadata?.name as string;
      for (const crc of this.credentials.list()) {
        if (isTargeted(crc.spec.namespaces, ns) || this.holdsWork(crc, namespace))
          this.touchNamespace(crc.metadata.name as string, namespace);
      }
    };
    informers.namespaces.on("add", onNamespace);
    informers.namespaces.on("update", onNamespace);
    informers.namespaces.on("delete", (ns) => {
      const namespace = ns.metadata?.name as string;
      for (const crc of this.credentials.list()) {
        const name = crc.metadata.name as string;
        if (this.deps.results.get(name)?.delete(namespace))
          this.queue.touchAfter(fullKey(name), statusDebounceMs);
      }
    });
    // A ServiceAccount matters when its namespace is selected and the resource selects the account,
    // or patched it before (the account may just have left the selection).
    const onAccount = (account: V1ServiceAccount) => {
      const namespace = account.metadata?.namespace as string;
      const ns = informers.namespaces.get(namespace);
      for (const crc of this.credentials.list()) {
        const secretName = crc.spec.secret?.name ?? (crc.metadata.name as string);
        const selected =
          !!ns &&
          isTargeted(crc.spec.namespaces, ns) &&
          selectsServiceAccount(crc.spec.serviceAccounts, account);
        const patched = account.metadata?.annotations?.[pullSecretAnnotation(secretName)] === ownerKeyOf(crc);
        if (selected || patched) this.touchNamespace(crc.metadata.name as string, namespace);
      }
    };
    informers.serviceAccounts.on("add", onAccount);
    informers.serviceAccounts.on("update", onAccount);
    // One of its Secrets changed or went away: only when the annotations name this resource and its uid.
    const onSecret = (secret: V1Secret) => {
      const owner = secret.metadata?.annotations?.[annotations.owner];
      const [, name] = (owner && /^ClusterRegistryCredential\/([^/]+)$/.exec(owner)) || [];
      const crc = name ? this.credentials.get(name) : undefined;
      if (name && crc && crc.metadata.uid === secret.metadata?.annotations?.[annotations.ownerUid])
        this.touchNamespace(name, secret.metadata?.namespace as string);
    };
    informers.secrets.on("update", onSecret);
    informers.secrets.on("delete", onSecret);
  }

  /** Reconciles every resource; call once the informers have synced. */
  start(): void {
    for (const crc of this.credentials.list()) this.queue.add(fullKey(crc.metadata.name as string));
    this.queue.resume();
    this.options.logger.info(
      { clusterCredentials: this.credentials.list().length },
      "ClusterRegistryCredential controller started",
    );
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.queue.shutdown();
  }

  private touchNamespace(name: string, namespace: string): void {
    this.queue.add(namespaceKey(name, namespace));
  }

  /** Whether the resource has a result for the namespace, or its Secret is cached there. */
  private holdsWork(crc: ClusterRegistryCredential, namespace: string): boolean {
    const name = crc.metadata.name as string;
    const secret = this.options.informers.secrets.get(crc.spec.secret?.name ?? name, namespace);
    return (
      !!this.deps.results.get(name)?.has(namespace) ||
      secret?.metadata?.annotations?.[annotations.ownerUid] === crc.metadata.uid
    );
  }

  private async process(key: string): Promise<void> {
    const [type, name, namespace] = key.split("/") as [string, string, string | undefined];
    const timer = this.options.metrics.reconcileDuration.startTimer({
      kind: clusterRegistryCredentialNames.kind,
    });
    await runSync(
      this.queue,
      key,
      this.options.logger,
      (result) => timer({ result }),
      async (failures) => {
        if (type === "ns" && namespace) {
          // A namespace-level sync needs the resource's plan; without one, run the full sync first
          // (unless the full sync is backing off: its retry stands).
          if (await syncClusterNamespace(this.deps, name, namespace))
            this.queue.touchAfter(fullKey(name), statusDebounceMs);
          else this.queue.touch(fullKey(name));
          return {};
        }
        return syncClusterRegistryCredential(this.deps, name, failures);
      },
    );
  }
}
