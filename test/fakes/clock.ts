// The one fake of time: a Clock that moves only when told, for the queue, cache, events, syncs and elector.
import type { Clock } from "../../src/util/clock.js";

/** Lets every pending promise continuation run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A clock that moves only when advance() (or set()) is called; sleepers and timers fire in due order. */
export class FakeClock implements Clock {
  private waiting: { due: number; fire: () => void }[] = [];

  constructor(private time = Date.parse("2030-01-01T00:00:00Z")) {}

  now(): number {
    return this.time;
  }

  /** The current time as a Date. */
  date(): Date {
    return new Date(this.time);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const cancel = this.schedule(ms, resolve);
      signal?.addEventListener(
        "abort",
        () => {
          cancel();
          resolve();
        },
        { once: true },
      );
    });
  }

  schedule(ms: number, fn: () => void): () => void {
    const entry = { due: this.time + Math.max(0, ms), fire: fn };
    this.waiting.push(entry);
    return () => {
      this.waiting = this.waiting.filter((w) => w !== entry);
    };
  }

  /** Timers and sleepers not yet due. */
  get pending(): number {
    return this.waiting.length;
  }

  /** Moves time forward by ms, firing what falls due (and letting its continuations run) as it goes. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      await settle();
      const next = this.waiting.filter((w) => w.due <= target).sort((a, b) => a.due - b.due)[0];
      if (!next) break;
      this.waiting = this.waiting.filter((w) => w !== next);
      this.time = Math.max(this.time, next.due);
      next.fire();
    }
    this.time = target;
    await settle();
  }

  /** Moves time by ms without firing anything (for code that only reads now()). */
  skip(ms: number): void {
    this.time += ms;
  }
}
