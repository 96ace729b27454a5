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

/** Objects asked for per page of a list. */
const listPageSize = 500;

/** One page of a list: `_continue` is the previous page's `metadata.continue`, absent for the first. */
export interface ListPage {
  limit: number;
  _continue?: string;
}

const minRestartDelayMs = 500;
const maxRestartDelayMs = 30_000;

/** What an informer is sent and what its cache keeps. */
export interface InformerOptions<Sent extends KubernetesObject, Cached extends KubernetesObject> {
  /** Sent to the watch; `list` must apply it too. */
  labelSelector?: string;
  /** Sent to the watch; `list` must apply it too. */
  fieldSelector?: string;
  /** Which objects the cache holds (judged on the whole object as sent); the others are treated as deleted. */
  keep?: (object: Sent) => boolean;
  /**
   * What the cache holds of each kept object (and what events carry); it must keep
   * metadata.name, namespace and resourceVersion (the watch resumes from the last). Default: the
   * object as sent.
   */
  trim?: (object: Sent) => Cached;
}

/**
 * A Watch that hands on only objects `keep` accepts, as `trim` leaves them: an object it stops
 * accepting (or never accepted) arrives as DELETED, so the cache drops it (or never holds it).
 */
function filteringWatch<Sent extends KubernetesObject, Cached extends KubernetesObject>(
  kc: KubeConfig,
  keep: (object: Sent) => boolean,
  trim: (object: Sent) => Cached,
): Watch {
  const watch = new Watch(kc);
  const inner = watch.watch.bind(watch);
  watch.watch = (path, query, handler, done) =>
    inner(
      path,
      query,
      (phase: string, object: Sent, raw: unknown) => {
        if (phase !== "ADDED" && phase !== "MODIFIED" && phase !== "DELETED")
          return handler(phase, object, raw);
        const kept = phase === "DELETED" || keep(object);
        return handler(kept ? phase : "DELETED", trim(object), raw);
      },
      done,
    );
  return watch;
}

/**
 * The token of a list's next page: `metadata._continue` as client-node's models name it, or
 * `metadata.continue` in a custom objects list, which arrives as plain JSON.
 */
function continueOf(page: KubernetesListObject<KubernetesObject>): string | undefined {
  const meta = page.metadata as { _continue?: string; continue?: string } | undefined;
  return meta?._continue || meta?.continue || undefined;
}

/**
 * Every object of a list, asked for page by page and each page kept and trimmed before the next is
 * asked for, so only one page of objects as sent is in memory at once; the result carries the last
 * page's metadata (the pages share one snapshot and its resourceVersion). Rejects with the first
 * page that fails, such as a 410 for a continue token that expired: the informer then restarts
 * with backoff and lists afresh (logged as a failed watch), unlike a watch's 410, which ListWatch
 * answers with a relist itself.
 * @internal exported for its tests
 */
export async function listAllPages<Sent extends KubernetesObject, Cached extends KubernetesObject>(
  list: (page: ListPage) => Promise<KubernetesListObject<Sent>>,
  keep: (object: Sent) => boolean,
  trim: (object: Sent) => Cached,
): Promise<KubernetesListObject<Cached>> {
  const items: Cached[] = [];
  let next: string | undefined;
  for (;;) {
    const page = await list({ limit: listPageSize, ...(next ? { _continue: next } : {}) });
    for (const item of page.items) if (keep(item)) items.push(trim(item));
    next = continueOf(page);
    if (!next) return { ...page, items };
  }
}

/**
 * An informer over `path`, listed in pages (listAllPages), that never stops for good: client-node's
 * ListWatch gives up after any error other than 410 Gone (for example when the apiserver restarts), so this one restarts it
 * with exponential backoff until stop() is called. A 410 is handled by ListWatch with a relist.
 * With `keep`, the cache holds (and events report) only objects it accepts, whatever the server
 * sends: how the operator bounds what tenants can make it hold in memory; with `trim`, only the
 * fields it reads of them.
 */
export function startableInformer<Sent extends KubernetesObject, Cached extends KubernetesObject = Sent>(
  kc: KubeConfig,
  path: string,
  list: (page: ListPage) => Promise<KubernetesListObject<Sent>>,
  logger: Logger,
  options: InformerOptions<Sent, Cached> = {},
): Informer<Cached> {
  const keep = options.keep ?? (() => true);
  const trim = options.trim ?? ((object: Sent) => object as unknown as Cached);
  const listKept = () => listAllPages(list, keep, trim);
  const informer = new ListWatch<Cached>(
    path,
    filteringWatch(kc, keep, trim),
    listKept as ListPromise<Cached>,
    false,
    options.labelSelector,
    options.fieldSelector,
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
