import type { Logger } from "pino";
import { StoppedError } from "../../util/abortable.js";
import { type Clock, systemClock } from "../../util/clock.js";
import { errorText } from "../../util/error-text.js";
import { retryDelayMs } from "./retry-delay.js";

/** What one sync asks of the queue, as controller-runtime's Result does. */
export interface SyncResult {
  /** Run the key again after this many milliseconds (renewal time or retry backoff). */
  requeueAfterMs?: number;
  /** The sync failed and counts towards the key's backoff (see WorkQueue.touch). */
  failed?: boolean;
}

/** What a sync is told about its run. */
export interface SyncRun {
  /** Consecutive failures of this key, counting this run (1 on a first try or after a success). */
  failures: number;
  /** The queue's logger with the key's bindings (kind, namespace, name, and the key itself). */
  logger: Logger;
}

type SyncOutcome = "success" | "failed" | "error";

export interface WorkQueueOptions<K> {
  /**
   * Runs one key and resolves with when to run it again. A throw (an unexpected apiserver error)
   * is logged and retried with backoff; a StoppedError (the operator is stopping) only logged.
   */
  sync(key: K, run: SyncRun): Promise<SyncResult>;
  /** The string form of a key: keys with equal strings are one key. */
  keyOf(key: K): string;
  /** Log bindings naming the key's object. */
  describe(key: K): Record<string, string>;
  /** At most this many keys are synced at a time. */
  concurrency: number;
  logger: Logger;
  clock?: Clock;
  /** In [0, 1); picks the jitter of retry delays. */
  random?: () => number;
  /** Collect keys but sync none until resume() (controllers resume once their caches have synced). */
  startPaused?: boolean;
  onDepthChange?(depth: number): void;
  /** Called after every sync with its outcome and duration. */
  onSynced?(outcome: SyncOutcome, seconds: number): void;
}

/**
 * A work queue in the style of client-go's, applying each sync's result itself: keys are coalesced
 * (a key waiting to be synced is queued once however often it is added), a key is never synced by
 * two workers at once (a key added while being synced is synced again afterwards), delayed adds
 * keep the earliest due time, failures are counted per key until its next success, and at most
 * `concurrency` keys are synced at a time.
 */
export class WorkQueue<K = string> {
  private readonly ready: string[] = [];
  private readonly keys = new Map<string, K>();
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirtyWhileProcessing = new Set<string>();
  private readonly touchedWhileProcessing = new Set<string>();
  private readonly timers = new Map<string, { due: number; cancel: () => void }>();
  private readonly failures = new Map<string, number>();
  private readonly clock: Clock;
  private readonly random: () => number;
  private active = 0;
  private stopped = false;
  private paused: boolean;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: WorkQueueOptions<K>) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.paused = options.startPaused ?? false;
  }

  /** Queues key for syncing as soon as a worker is free. */
  add(key: K): void {
    if (this.stopped) return;
    const id = this.remember(key);
    const pending = this.timers.get(id);
    if (pending) {
      pending.cancel();
      this.timers.delete(id);
    }
    if (this.processing.has(id)) {
      this.dirtyWhileProcessing.add(id);
      return;
    }
    if (this.queued.has(id)) return;
    this.queued.add(id);
    this.ready.push(id);
    this.options.onDepthChange?.(this.depth);
    this.pump();
  }

  /**
   * Queues key now, unless the key is backing off: while its last run failed, the retry that run
   * scheduled stands. For events about other objects (a ServiceAccount, a namespace) that make a
   * sync worth running but must not run a failing one, and its cloud calls, early.
   */
  touch(key: K): void {
    if (this.stopped) return;
    const id = this.remember(key);
    if (this.processing.has(id)) {
      this.touchedWhileProcessing.add(id);
      return;
    }
    if (this.failureCount(key) > 0) return;
    this.add(key);
  }

  /** addAfter, unless the key is backing off (see touch). */
  touchAfter(key: K, delayMs: number): void {
    if (this.failureCount(key) > 0) return;
    this.addAfter(key, delayMs);
  }

  /** Queues key after delayMs; an earlier pending due time for the key wins. */
  addAfter(key: K, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const id = this.remember(key);
    const due = this.clock.now() + delayMs;
    const pending = this.timers.get(id);
    if (pending && pending.due <= due) return;
    pending?.cancel();
    const cancel = this.clock.schedule(delayMs, () => {
      this.timers.delete(id);
      this.add(key);
    });
    this.timers.set(id, { due, cancel });
  }

  /** Consecutive failures recorded for key since its last success. */
  failureCount(key: K): number {
    return this.failures.get(this.options.keyOf(key)) ?? 0;
  }

  /** Keys waiting to be synced now (not counting delayed ones). */
  get depth(): number {
    return this.ready.length;
  }

  /** Resolves when nothing is queued or being synced (delayed keys do not count). */
  idle(): Promise<void> {
    if (this.active === 0 && this.ready.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops accepting keys and drops delayed ones; resolves when in-flight work has finished. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    for (const { cancel } of this.timers.values()) cancel();
    this.timers.clear();
    this.ready.length = 0;
    this.queued.clear();
    this.touchedWhileProcessing.clear();
    await this.idle();
  }

  /** Starts syncing queued keys. Call once the informers the sync reads have synced. */
  resume(): void {
    this.paused = false;
    this.pump();
  }

  private remember(key: K): string {
    const id = this.options.keyOf(key);
    this.keys.set(id, key);
    return id;
  }

  private pump(): void {
    while (!this.stopped && !this.paused && this.active < this.options.concurrency && this.ready.length > 0) {
      const id = this.ready.shift() as string;
      this.queued.delete(id);
      this.processing.add(id);
      this.active++;
      this.options.onDepthChange?.(this.depth);
      void this.run(id);
    }
  }

  /** Syncs one key and applies its result, then frees its worker whatever happens. Never throws. */
  private async run(id: string): Promise<void> {
    const key = this.keys.get(id) as K;
    try {
      await this.syncOnce(id, key);
    } catch (error) {
      // Only the hooks (describe, onSynced, the logger) can get here; the key is retried all the same.
      console.error(`work queue: syncing ${id} threw outside its sync`, error);
      this.addAfter(key, retryDelayMs(this.failureCount(key) + 1, undefined, this.random()));
    } finally {
      this.processing.delete(id);
      this.active--;
      if (this.dirtyWhileProcessing.delete(id)) this.add(key);
      else if (this.touchedWhileProcessing.delete(id)) this.touch(key);
      this.touchedWhileProcessing.delete(id);
      if (!this.queued.has(id) && !this.processing.has(id) && !this.timers.has(id) && !this.failures.has(id))
        this.keys.delete(id);
      this.pump();
      if (this.active === 0 && this.ready.length === 0) {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
    }
  }

  /** One sync of the key and its result applied: failures counted, the requeue scheduled, logged. */
  private async syncOnce(id: string, key: K): Promise<void> {
    const logger = this.options.logger.child({ ...this.options.describe(key), key: id });
    const started = this.clock.now();
    let outcome: SyncOutcome = "error";
    try {
      const result = await this.options.sync(key, { failures: (this.failures.get(id) ?? 0) + 1, logger });
      if (result.failed) this.failures.set(id, (this.failures.get(id) ?? 0) + 1);
      else this.failures.delete(id);
      if (result.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
      outcome = result.failed ? "failed" : "success";
      logger.debug({ failed: result.failed ?? false, requeueAfterMs: result.requeueAfterMs }, "reconciled");
    } catch (error) {
      if (error instanceof StoppedError) {
        logger.info("reconcile abandoned: the operator is stopping");
        return;
      }
      const failures = (this.failures.get(id) ?? 0) + 1;
      this.failures.set(id, failures);
      const delay = retryDelayMs(failures, undefined, this.random());
      logger.error({ err: errorText(error), retryInMs: delay }, "reconcile failed");
      this.addAfter(key, delay);
    } finally {
      this.options.onSynced?.(outcome, (this.clock.now() - started) / 1000);
    }
  }
}
