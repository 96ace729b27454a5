import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ListPromise,
  type ListWatch,
  makeInformer,
} from "@kubernetes/client-node";
import type { Logger } from "pino";
import { errorText } from "../util/error-text.js";

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
 * An informer over `path` that never stops for good: client-node's ListWatch gives up after any
 * error other than 410 Gone (for example when the apiserver restarts), so this one restarts it
 * with exponential backoff until stop() is called. A 410 is handled by ListWatch with a relist.
 */
export function startableInformer<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  list: () => Promise<KubernetesListObject<T>>,
  logger: Logger,
  labelSelector?: string,
): Informer<T> {
  const informer = makeInformer<T>(kc, path, list as ListPromise<T>, labelSelector);
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
      while (!stopped && !(informer as unknown as ListWatch<T>).latestResourceVersion()) {
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
