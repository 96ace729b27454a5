// Stamps the fake ECR's GetAuthorizationToken calls with the time the bench saw them: the fake
// keeps the access key id of every call in order but no time, so a 50 ms poller adds it.
import type { FakeEcrServer } from "../../test/fakes/ecr/fake-ecr-server.js";

export interface RecordedCall {
  /** performance.now() when the poller first saw the call (at most 50 ms late). */
  at: number;
  accessKeyId: string;
}

export class CallRecorder {
  readonly calls: RecordedCall[] = [];
  private seen = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly ecr: FakeEcrServer) {
    this.seen = ecr.accessKeyIds.length;
    this.timer = setInterval(() => this.poll(), 50);
    this.timer.unref();
  }

  private poll(): void {
    const ids = this.ecr.accessKeyIds;
    const now = performance.now();
    for (; this.seen < ids.length; this.seen++)
      this.calls.push({ at: now, accessKeyId: ids[this.seen] as string });
  }

  /** The calls seen from `from` (inclusive) to `to` (exclusive), after a last poll. */
  between(from: number, to = Number.POSITIVE_INFINITY): RecordedCall[] {
    this.poll();
    return this.calls.filter((c) => c.at >= from && c.at < to);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Most calls within any window of `windowMs`. */
export function peakInWindow(calls: readonly RecordedCall[], windowMs: number): number {
  const times = calls.map((c) => c.at).sort((a, b) => a - b);
  let peak = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while ((times[end] as number) - (times[start] as number) >= windowMs) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

/**
 * The fake ECR's count of throttled calls, when the fake exposes one (a numeric property whose name
 * mentions throttling); undefined when it has none.
 */
export function fakeThrottleCount(ecr: FakeEcrServer): number | undefined {
  const candidates = [ecr, Object.getPrototypeOf(ecr) as object];
  for (const object of candidates) {
    for (const name of Object.getOwnPropertyNames(object)) {
      if (!/throttl/i.test(name)) continue;
      const value = (ecr as unknown as Record<string, unknown>)[name];
      if (typeof value === "number") return value;
    }
  }
  return undefined;
}
