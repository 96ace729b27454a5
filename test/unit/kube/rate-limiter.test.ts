import { afterEach, beforeEach, describe, expect, it, jest } from "@jest/globals";
import { TokenBucket } from "../../../src/kube/rate-limiter.js";

beforeEach(() => {
  // Fakes setTimeout and performance.now() together; construct buckets after this.
  jest.useFakeTimers();
});

afterEach(() => {
  jest.useRealTimers();
});

/** Starts `count` takes and records, in order, which have been granted. */
function takeMany(bucket: TokenBucket, count: number) {
  const granted: number[] = [];
  const all = Array.from({ length: count }, (_, i) => bucket.take().then(() => void granted.push(i)));
  return { granted, all: Promise.all(all) };
}

/** Advances the fake clock by ms, running due timers and the promise callbacks they release. */
const advance = (ms: number) => jest.advanceTimersByTimeAsync(ms);

describe("TokenBucket", () => {
  it.each([
    [1, 1],
    [5, 3],
    [10, 100],
  ])("grants a burst of %i at once (qps %i)", async (burst, qps) => {
    const bucket = new TokenBucket(qps, burst);
    const { granted } = takeMany(bucket, burst + 1);
    await advance(0);
    expect(granted).toEqual(Array.from({ length: burst }, (_, i) => i));
  });

  it.each([
    [10, 100],
    [2, 500],
    [0.5, 2_000],
  ])("after the burst, paces takes at qps %p: one every %i ms", async (qps, intervalMs) => {
    const bucket = new TokenBucket(qps, 2);
    const { granted } = takeMany(bucket, 5);
    await advance(0);
    expect(granted).toEqual([0, 1]);
    for (const next of [2, 3, 4]) {
      await advance(intervalMs - 1);
      expect(granted).toHaveLength(next);
      await advance(1);
      expect(granted).toHaveLength(next + 1);
    }
  });

  it("serves waiters in the order they asked", async () => {
    const bucket = new TokenBucket(5, 1);
    const { granted, all } = takeMany(bucket, 6);
    await advance(1_000);
    await all;
    expect(granted).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("refills while idle, but never beyond the burst", async () => {
    const bucket = new TokenBucket(10, 3);
    await takeMany(bucket, 3).all;
    await advance(60_000);
    const { granted } = takeMany(bucket, 5);
    await advance(0);
    expect(granted).toEqual([0, 1, 2]);
    await advance(100);
    expect(granted).toEqual([0, 1, 2, 3]);
  });

  it("refills partially: half the interval idle halves the next wait", async () => {
    const bucket = new TokenBucket(10, 1);
    await bucket.take();
    await advance(50);
    const { granted } = takeMany(bucket, 1);
    await advance(49);
    expect(granted).toEqual([]);
    await advance(1);
    expect(granted).toEqual([0]);
  });

  it.each([
    ["a zero qps", 0, 10],
    ["a negative qps", -1, 10],
    ["a NaN qps", Number.NaN, 10],
    ["a zero burst", 10, 0],
    ["a burst below one", 10, 0.5],
    ["a NaN burst", 10, Number.NaN],
  ])("rejects %s", (_name, qps, burst) => {
    expect(() => new TokenBucket(qps, burst)).toThrow("invalid rate limit");
  });
});
