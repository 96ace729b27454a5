/**
 * Time as the operator sees it: the one clock the work queue, token cache, event recorder, syncs
 * and Lease elector read, injected so tests can drive it by hand.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Resolves after ms milliseconds, or at once (without rejecting) when signal aborts. Never
   * keeps the process alive on its own.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls fn once after ms milliseconds; the returned function cancels it. Never keeps the process alive. */
  schedule(ms: number, fn: () => void): () => void;
}

/** The real clock: Date.now and unref'd timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise((resolve) => {
      if (signal?.aborted) {
        resolve();
        return;
      }
      const done = () => {
        cancel();
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const cancel = systemClock.schedule(ms, done);
      signal?.addEventListener("abort", done, { once: true });
    });
  },
  schedule(ms, fn) {
    const timer = setTimeout(fn, Math.max(0, ms));
    timer.unref();
    return () => clearTimeout(timer);
  },
};
