import type { V1Namespace, V1Secret, V1ServiceAccount } from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { PodAdmissionSync } from "../../admission/pod-admission.js";
import { type ClusterRegistryCredential, clusterRegistryCredentialNames } from "../../api/v1alpha1.js";
import type { KubeClients } from "../../kube/clients.js";
import type { Informer } from "../../kube/informer.js";
import type { OperatorMetrics } from "../../metrics/metrics.js";
import type { Providers } from "../../providers/registry.js";
import { annotations } from "../../secrets/ownership.js";
import type { OperatorKey } from "../../security/operator-key.js";
import type { TokenCache } from "../../tokens/token-cache.js";
import type { EventRecorder } from "../events.js";
import type { Informers } from "../informers.js";
import { runSync } from "../run-sync.js";
import { WorkQueue } from "../work-queue.js";
import type { FanOutPlan, NamespaceResult } from "./fan-out.js";
import {
  type ClusterSyncDependencies,
  syncClusterNamespace,
  syncClusterRegistryCredential,
} from "./sync-cluster-registry-credential.js";

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
  operatorNamespace: string;
  concurrency: number;
}

/** How long namespace-level changes wait before the resource's status is recounted. */
const statusDebounceMs = 1000;
const fullKey = (name: string) => `full/${name}`;
const namespaceKey = (name: string, namespace: string) => `ns/${name}/${namespace}`;

/**
 * Wiring for ClusterRegistryCredentials. Two kinds of work share one queue: a full sync per resource
 * (mint, fan out to every namespace, clean up, status) and a namespace-level sync per (resource,
 * namespace), so a new namespace or ServiceAccount is handled at once, even while a full rotation
 * across thousands of namespaces is under way.
 */
export class ClusterRegistryCredentialController {
  readonly queue: WorkQueue;
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
      operatorNamespace: options.operatorNamespace,
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

    const onNamespace = (ns: V1Namespace) => {
      for (const crc of this.credentials.list())
        this.touchNamespace(crc.metadata.name as string, ns.metadata?.name as string);
    };
    informers.namespaces.on("add", onNamespace);
    informers.namespaces.on("update", onNamespace);
    informers.namespaces.on("delete", (ns) => {
      for (const crc of this.credentials.list()) {
        this.deps.results.get(crc.metadata.name as string)?.delete(ns.metadata?.name as string);
        this.queue.addAfter(fullKey(crc.metadata.name as string), statusDebounceMs);
      }
    });
    const onAccount = (account: V1ServiceAccount) => {
      for (const crc of this.credentials.list()) {
        if (crc.spec.serviceAccounts)
          this.touchNamespace(crc.metadata.name as string, account.metadata?.namespace as string);
      }
    };
    informers.serviceAccounts.on("add", onAccount);
    informers.serviceAccounts.on("update", onAccount);
    const onSecret = (secret: V1Secret) => {
      const owner = secret.metadata?.annotations?.[annotations.owner];
      const match = owner && /^ClusterRegistryCredential\/([^/]+)$/.exec(owner);
      if (match) this.touchNamespace(match[1] as string, secret.metadata?.namespace as string);
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
    await this.queue.shutdown();
  }

  private touchNamespace(name: string, namespace: string): void {
    this.queue.add(namespaceKey(name, namespace));
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
          // A namespace-level sync needs the resource's plan; without one, run the full sync first.
          if (await syncClusterNamespace(this.deps, name, namespace))
            this.queue.addAfter(fullKey(name), statusDebounceMs);
          else this.queue.add(fullKey(name));
          return {};
        }
        return syncClusterRegistryCredential(this.deps, name, failures);
      },
    );
  }
}
