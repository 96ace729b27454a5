/**
 * A work queue in the style of client-go's: keys are coalesced (a key waiting to be processed is
 * queued once however often it is added), a key is never processed by two workers at once (a key
 * added while being processed is processed again afterwards), delayed adds keep the earliest due
 * time, and at most `concurrency` keys are processed at a time. A queue created paused collects
 * keys but processes none until resume() (controllers resume once their caches have synced).
 */
export class WorkQueue {
  private readonly ready: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirtyWhileProcessing = new Set<string>();
  private readonly touchedWhileProcessing = new Set<string>();
  private readonly timers = new Map<string, { due: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private active = 0;
  private stopped = false;
  private paused: boolean;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly process: (key: string) => Promise<void>,
    private readonly concurrency: number,
    private readonly onDepthChange: (depth: number) => void = () => {},
    private readonly onUnhandled: (key: string, error: unknown) => void = (key, error) =>
      console.error(`work queue: processing ${key} threw`, error),
    startPaused = false,
  ) {
    this.paused = startPaused;
  }

  /** Queues key for processing as soon as a worker is free. */
  add(key: string): void {
    if (this.stopped) return;
    const pending = this.timers.get(key);
    if (pending) {
      clearTimeout(pending.timer);
      this.timers.delete(key);
    }
    if (this.processing.has(key)) {
      this.dirtyWhileProcessing.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.ready.push(key);
    this.onDepthChange(this.depth);
    this.pump();
  }

  /**
   * Queues key now, unless the key is backing off: while its last run failed, the retry that run
   * scheduled stands. For events about other objects (a ServiceAccount, a namespace) that make a
   * sync worth running but must not run a failing one, and its cloud calls, early.
   */
  touch(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.touchedWhileProcessing.add(key);
      return;
    }
    if (this.failureCount(key) > 0) return;
    this.add(key);
  }

  /** addAfter, unless the key is backing off (see touch). */
  touchAfter(key: string, delayMs: number): void {
    if (this.failureCount(key) > 0) return;
    this.addAfter(key, delayMs);
  }

  /** Queues key after delayMs; an earlier pending due time for the key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const due = Date.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.due <= due) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { due, timer });
  }

  /** Consecutive failures recorded for key since its last success. */
  failureCount(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  recordFailure(key: string): number {
    const count = this.failureCount(key) + 1;
    this.failures.set(key, count);
    return count;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Keys waiting to be processed now (not counting delayed ones). */
  get depth(): number {
    return this.ready.length;
  }

  /** Resolves when nothing is queued or being processed (delayed keys do not count). */
  idle(): Promise<void> {
    if (this.active === 0 && this.ready.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops accepting keys and drops delayed ones; resolves when in-flight work has finished. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.ready.length = 0;
    this.queued.clear();
    this.touchedWhileProcessing.clear();
    await this.idle();
  }

  /** Starts processing queued keys. Call once the informers the process function reads have synced. */
  resume(): void {
    this.paused = false;
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && !this.paused && this.active < this.concurrency && this.ready.length > 0) {
      const key = this.ready.shift() as string;
      this.queued.delete(key);
      this.processing.add(key);
      this.active++;
      this.onDepthChange(this.depth);
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    try {
      await this.process(key);
    } catch (error) {
      // process() is expected to handle its own failures; never let one escape as an unhandled rejection.
      this.onUnhandled(key, error);
    } finally {
      this.processing.delete(key);
      this.active--;
      if (this.dirtyWhileProcessing.delete(key)) this.add(key);
      else if (this.touchedWhileProcessing.delete(key)) this.touch(key);
      this.touchedWhileProcessing.delete(key);
      this.pump();
      if (this.active === 0 && this.ready.length === 0) {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
    }
  }
}
