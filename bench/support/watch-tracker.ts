// Keeps, per namespace, a summary of one kind of object, from a list followed by a watch, and
// stamps each change with the time this process saw it: how the bench observes convergence
// without polling the apiserver.
import { type KubeConfig, Watch } from "@kubernetes/client-node";
import { httpsGet, type TlsClientOptions } from "../../test/support/controlplane/http.js";

export interface Tracked<S> {
  value: S;
  /** performance.now() when this value was first seen. */
  at: number;
}

interface RawObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

const byNamespace = (namespace: string) => namespace;

interface RawList {
  metadata?: { resourceVersion?: string };
  items?: RawObject[];
}

export interface TrackerOptions<S> {
  kc: KubeConfig;
  /** Admin TLS credentials for the list (the watch uses kc). */
  tls: TlsClientOptions;
  /** e.g. /api/v1/secrets (all namespaces). */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** The key an object is kept under; default its namespace (then at most one object per namespace). */
  keyOf?(namespace: string, name: string): string;
  /** The summary kept for an object; compared with JSON.stringify to detect changes. */
  summarize(object: never): S;
}

/**
 * List + watch of `path`, keyed by namespace (the selectors must leave at most one object per
 * namespace) unless `keyOf` says otherwise. A watch that ends unexpectedly is restarted from a fresh list.
 */
export class WatchTracker<S> {
  readonly entries = new Map<string, Tracked<S>>();
  private readonly listeners: ((namespace: string, entry: Tracked<S> | undefined) => void)[] = [];
  private controller: AbortController | undefined;
  private stopped = false;
  private restarts = 0;

  constructor(private readonly options: TrackerOptions<S>) {}

  /** Called for every change (undefined: deleted), after the entry is stored. */
  onChange(listener: (namespace: string, entry: Tracked<S> | undefined) => void): void {
    this.listeners.push(listener);
  }

  /** Lists, then watches from the list's resourceVersion; resolves once the watch is open. */
  async start(): Promise<void> {
    const resourceVersion = await this.list();
    await this.watch(resourceVersion);
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
  }

  get watchRestarts(): number {
    return this.restarts;
  }

  private query(): Record<string, string> {
    const { labelSelector, fieldSelector } = this.options;
    return {
      ...(labelSelector ? { labelSelector } : {}),
      ...(fieldSelector ? { fieldSelector } : {}),
    };
  }

  private async list(): Promise<string> {
    const cluster = this.options.kc.getCurrentCluster();
    if (!cluster) throw new Error("kubeconfig has no current cluster");
    const url = new URL(`${cluster.server}${this.options.path}`);
    for (const [k, v] of Object.entries(this.query())) url.searchParams.set(k, v);
    const response = await httpsGet(url.toString(), this.options.tls, 120_000);
    if (response.status !== 200) throw new Error(`LIST ${url.pathname}: HTTP ${response.status}`);
    const list = JSON.parse(response.body) as RawList;
    const now = performance.now();
    const seen = new Set<string>();
    for (const item of list.items ?? []) {
      const key = this.keyOf(item);
      seen.add(key);
      this.store(key, item, now);
    }
    for (const namespace of [...this.entries.keys()]) {
      if (!seen.has(namespace)) this.remove(namespace);
    }
    return list.metadata?.resourceVersion ?? "";
  }

  private async watch(resourceVersion: string): Promise<void> {
    this.controller = await new Watch(this.options.kc).watch(
      this.options.path,
      { ...this.query(), resourceVersion, allowWatchBookmarks: true },
      (type: string, object: RawObject) => {
        if (!object?.metadata?.namespace || type === "BOOKMARK" || type === "ERROR") return;
        const key = this.keyOf(object);
        if (type === "DELETED") this.remove(key);
        else this.store(key, object, performance.now());
      },
      () => {
        if (this.stopped) return;
        this.restarts++;
        setTimeout(() => {
          if (!this.stopped) void this.start().catch(() => {});
        }, 200);
      },
    );
  }

  private keyOf(object: RawObject): string {
    const { namespace = "", name = "" } = object.metadata ?? {};
    return (this.options.keyOf ?? byNamespace)(namespace, name);
  }

  private store(namespace: string, object: RawObject, at: number): void {
    const value = this.options.summarize(object as never);
    const previous = this.entries.get(namespace);
    if (previous && JSON.stringify(previous.value) === JSON.stringify(value)) return;
    const entry = { value, at };
    this.entries.set(namespace, entry);
    for (const listener of this.listeners) listener(namespace, entry);
  }

  private remove(namespace: string): void {
    if (!this.entries.delete(namespace)) return;
    for (const listener of this.listeners) listener(namespace, undefined);
  }
}
