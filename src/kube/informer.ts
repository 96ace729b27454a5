import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ListPromise,
  ListWatch,
  Watch,
} from "@kubernetes/client-node";
import type { Logger } from "pino";
import { errorText } from "../util/error-text.js";

/** @internal exported for its tests */
export type InformerEvent = "add" | "update" | "delete";

/** A started informer: a cache of objects kept current by list+watch. */
export interface Informer<T extends KubernetesObject> {
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): readonly T[];
  on(event: InformerEvent, handler: (object: T) => void): void;
  /** Lists, starts watching, and resolves once the first list has filled the cache. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

const minRestartDelayMs = 500;
const maxRestartDelayMs = 30_000;

/**
 * A Watch that hands on only objects `keep` accepts: an object it stops accepting (or never
 * accepted) arrives as DELETED, so the cache drops it (or never holds it).
 */
function filteringWatch<T extends KubernetesObject>(kc: KubeConfig, keep: (object: T) => boolean): Watch {
  const watch = new Watch(kc);
  const inner = watch.watch.bind(watch);
  watch.watch = (path, query, handler, done) =>
    inner(
      path,
      query,
      (phase: string, object: T, raw: unknown) =>
        handler(
          (phase === "ADDED" || phase === "MODIFIED") && !keep(object) ? "DELETED" : phase,
          object,
          raw,
        ),
      done,
    );
  return watch;
}

/**
 * An informer over `path` that never stops for good: client-node's ListWatch gives up after any
 * error other than 410 Gone (for example when the apiserver restarts), so this one restarts it
 * with exponential backoff until stop() is called. A 410 is handled by ListWatch with a relist.
 * With `keep`, the cache holds (and events report) only objects it accepts, whatever the server
 * sends: how the operator bounds what tenants can make it hold in memory. `labelSelector` and
 * `fieldSelector` go to the watch (and must be applied by `list` too).
 */
export function startableInformer<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  list: () => Promise<KubernetesListObject<T>>,
  logger: Logger,
  labelSelector?: string,
  keep?: (object: T) => boolean,
  fieldSelector?: string,
): Informer<T> {
  const listKept = keep
    ? async () => {
        const all = await list();
        return { ...all, items: all.items.filter(keep) };
      }
    : list;
  const informer = new ListWatch<T>(
    path,
    keep ? filteringWatch(kc, keep) : new Watch(kc),
    listKept as ListPromise<T>,
    false,
    labelSelector,
    fieldSelector,
  );
  let stopped = false;
  let delay = minRestartDelayMs;
  let timer: NodeJS.Timeout | undefined;

  informer.on("connect", () => {
    delay = minRestartDelayMs;
  });
  informer.on("error", (error: unknown) => {
    if (stopped) return;
    logger.warn({ path, err: errorText(error), retryInMs: delay }, "watch failed; restarting");
    timer = setTimeout(() => {
      timer = undefined;
      if (!stopped) void informer.start().catch(() => {});
    }, delay);
    delay = Math.min(delay * 2, maxRestartDelayMs);
  });

  return {
    get: (name, namespace) => informer.get(name, namespace),
    list: (namespace) => informer.list(namespace),
    on: (event, handler) => informer.on(event, handler),
    async start() {
      await informer.start();
      // A failed first list is reported through "error" (and retried there), not thrown.
      while (!stopped && !informer.latestResourceVersion()) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await informer.stop();
    },
  };
}
