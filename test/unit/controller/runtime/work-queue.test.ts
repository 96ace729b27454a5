import { afterEach, describe, expect, it, jest } from "@jest/globals";
import { pino } from "pino";
import { type SyncResult, type SyncRun, WorkQueue } from "../../../../src/controller/runtime/work-queue.js";
import { StoppedError } from "../../../../src/util/abortable.js";

/** A queue of string keys over a process function (a sync returning nothing succeeded). */
function queueOf(
  process: (key: string, run: SyncRun) => Promise<SyncResult | undefined>,
  concurrency: number,
  onDepthChange?: (depth: number) => void,
) {
  return new WorkQueue<string>({
    sync: async (key, run) => (await process(key, run)) ?? {},
    keyOf: (key) => key,
    describe: (key) => ({ key }),
    concurrency,
    logger: pino({ level: "silent" }),
    random: () => 0.5,
    ...(onDepthChange ? { onDepthChange } : {}),
  });
}

/** Lets pending promise callbacks (and real setImmediate) run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A process function whose calls stay in flight until the test finishes them, recording starts and
 * the most keys (and most runs of one key) ever in flight together.
 */
function gatedProcess() {
  const started: string[] = [];
  const inFlight = new Map<string, ((result: SyncResult) => void)[]>();
  let active = 0;
  let maxActive = 0;
  let maxSameKey = 0;
  const process = async (key: string) => {
    started.push(key);
    active++;
    maxActive = Math.max(maxActive, active);
    const waiting = inFlight.get(key) ?? [];
    maxSameKey = Math.max(maxSameKey, waiting.length + 1);
    const result = await new Promise<SyncResult>((resolve) => {
      waiting.push(resolve);
      inFlight.set(key, waiting);
    });
    active--;
    return result;
  };
  return {
    process,
    started,
    get maxActive() {
      return maxActive;
    },
    get maxSameKey() {
      return maxSameKey;
    },
    inFlight: () => [...inFlight.entries()].filter(([, w]) => w.length > 0).map(([k]) => k),
    /** Finishes the oldest in-flight run of key with `result`. */
    async finish(key: string, result: SyncResult = {}) {
      const resolve = inFlight.get(key)?.shift();
      if (!resolve) throw new Error(`${key} is not in flight`);
      resolve(result);
      await flush();
    },
  };
}

/** A process function that completes at once and records each key. */
function recordingProcess() {
  const processed: string[] = [];
  return { processed, process: async (key: string) => void processed.push(key) };
}

afterEach(() => {
  jest.useRealTimers();
});

describe("WorkQueue.add", () => {
  it("processes an added key", async () => {
    const { processed, process } = recordingProcess();
    const queue = queueOf(process, 2);
    queue.add("ns/a");
    await queue.idle();
    expect(processed).toEqual(["ns/a"]);
  });

  it("coalesces duplicate adds of a key that is waiting", async () => {
    const gate = gatedProcess();
    const queue = queueOf(gate.process, 1);
    queue.add("a");
    await flush();
    for (let i = 0; i < 5; i++) queue.add("b");
    expect(queue.depth).toBe(1);
    await gate.finish("a");
    await gate.finish("b");
    await queue.idle();
    expect(gate.started).toEqual(["a", "b"]);
  });

  it.each([
    ["once", 1],
    ["three times", 3],
  ])("re-runs a key added %s while it is processing, once, after the run in flight", async (_name, adds) => {
    const gate = gatedProcess();
    const queue = queueOf(gate.process, 4);
    queue.add("a");
    await flush();
    for (let i = 0; i < adds; i++) queue.add("a");
    await flush();
    expect(gate.started).toEqual(["a"]);
    expect(queue.depth).toBe(0);
    await gate.finish("a");
    expect(gate.started).toEqual(["a", "a"]);
    await gate.finish("a");
    await queue.idle();
    expect(gate.started).toEqual(["a", "a"]);
    expect(gate.maxSameKey).toBe(1);
  });

  it.each([
    [1, 5],
    [2, 5],
    [3, 7],
  ])("runs at most %i keys at a time (%i keys queued)", async (concurrency, keys) => {
    const gate = gatedProcess();
    const queue = queueOf(gate.process, concurrency);
    const names = Array.from({ length: keys }, (_, i) => `k${i}`);
    for (const name of names) queue.add(name);
    await flush();
    expect(gate.inFlight()).toHaveLength(concurrency);
    expect(queue.depth).toBe(keys - concurrency);
    while (gate.inFlight().length > 0) await gate.finish(gate.inFlight()[0] as string);
    await queue.idle();
    expect(gate.started).toEqual(names);
    expect(gate.maxActive).toBe(concurrency);
  });

  it("reports the depth of keys waiting as it changes", async () => {
    const depths: number[] = [];
    const gate = gatedProcess();
    const queue = queueOf(gate.process, 1, (depth) => depths.push(depth));
    queue.add("a");
    queue.add("b");
    queue.add("c");
    await flush();
    expect(depths.at(-1)).toBe(2);
    await gate.finish("a");
    expect(depths.at(-1)).toBe(1);
    await gate.finish("b");
    await gate.finish("c");
    expect(depths.at(-1)).toBe(0);
    expect(Math.max(...depths)).toBe(2);
  });
});

describe("WorkQueue.addAfter", () => {
  it("queues the key once its delay has passed", async () => {
    jest.useFakeTimers();
    const { processed, process } = recordingProcess();
    const queue = queueOf(process, 1);
    queue.addAfter("a", 10_000);
    await jest.advanceTimersByTimeAsync(9_999);
    expect(processed).toEqual([]);
    expect(queue.depth).toBe(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(processed).toEqual(["a"]);
  });

  it.each([
    ["an earlier second delay replaces a later first one", [10_000, 5_000]],
    ["a later second delay does not postpone an earlier first one", [5_000, 10_000]],
    ["the earliest of three delays wins", [20_000, 5_000, 10_000]],
  ])("keeps the earliest due time: %s", async (_name, delays) => {
    jest.useFakeTimers();
    const { processed, process } = recordingProcess();
    const queue = queueOf(process, 1);
    for (const delay of delays) queue.addAfter("a", delay);
    await jest.advanceTimersByTimeAsync(4_999);
    expect(processed).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(processed).toEqual(["a"]);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(processed).toEqual(["a"]);
  });

  it.each([0, -1])("queues at once for a delay of %i", async (delay) => {
    const { processed, process } = recordingProcess();
    const queue = queueOf(process, 1);
    queue.addAfter("a", delay);
    expect(queue.depth + processed.length).toBe(1);
    await queue.idle();
    expect(processed).toEqual(["a"]);
  });

  it("cancels a pending delayed add when the key is added now", async () => {
    jest.useFakeTimers();
    const { processed, process } = recordingProcess();
    const queue = queueOf(process, 1);
    queue.addAfter("a", 10_000);
    queue.add("a");
    await jest.advanceTimersByTimeAsync(0);
    expect(processed).toEqual(["a"]);
    await jest.advanceTimersByTimeAsync(20_000);
    expect(processed).toEqual(["a"]);
  });

  it("keeps delays of different keys apart", async () => {
    jest.useFakeTimers();
    const { processed, process } = recordingProcess();
    const queue = queueOf(process, 1);
    queue.addAfter("late", 2_000);
    queue.addAfter("early", 1_000);
    await jest.advanceTimersByTimeAsync(2_000);
    expect(processed).toEqual(["early", "late"]);
  });
});

describe("WorkQueue.idle", () => {
  it("resolves at once when nothing is queued or processing", async () => {
    const queue = queueOf(recordingProcess().process, 1);
    await expect(queue.idle()).resolves.toBeUndefined();
  });

  it("does not wait for delayed keys", async () => {
    jest.useFakeTimers();
    const { processed, process } = recordingProcess();
    const queue = queueOf(process, 1);
    queue.addAfter("a", 60_000);
    await queue.idle();
    expect(processed).toEqual([]);
  });

  it("resolves only after the work in flight and the re-runs it caused have finished", async () => {
    const gate = gatedProcess();
    const queue = queueOf(gate.process, 2);
    let idle = false;
    queue.add("a");
    queue.add("b");
    await flush();
    queue.add("a");
    void queue.idle().then(() => {
      idle = true;
    });
    await gate.finish("a");
    await gate.finish("b");
    expect(idle).toBe(false);
    await gate.finish("a");
    expect(idle).toBe(true);
    expect(gate.started).toEqual(["a", "b", "a"]);
  });
});

describe("WorkQueue.shutdown", () => {
  it("waits for the work in flight, drops waiting and delayed keys, and ignores later adds", async () => {
    jest.useFakeTimers({ doNotFake: ["setImmediate"] });
    const gate = gatedProcess();
    const queue = queueOf(gate.process, 1);
    queue.add("running");
    queue.add("waiting");
    queue.addAfter("delayed", 1_000);
    await flush();
    let stopped = false;
    const shutdown = queue.shutdown().then(() => {
      stopped = true;
    });
    queue.add("after-shutdown");
    queue.addAfter("after-shutdown-delayed", 1);
    queue.add("running");
    await jest.advanceTimersByTimeAsync(5_000);
    expect(stopped).toBe(false);
    expect(queue.depth).toBe(0);
    await gate.finish("running");
    await shutdown;
    expect(stopped).toBe(true);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(gate.started).toEqual(["running"]);
  });

  it("resolves at once when nothing is in flight", async () => {
    const queue = queueOf(recordingProcess().process, 1);
    await expect(queue.shutdown()).resolves.toBeUndefined();
  });
});

describe("WorkQueue applying sync results", () => {
  it("counts consecutive failed syncs of a key, tells the sync its count, and forgets it on success", async () => {
    const runs: number[] = [];
    const results: SyncResult[] = [{ failed: true }, { failed: true }, {}, { failed: true }];
    const queue = queueOf(async (_key, run) => {
      runs.push(run.failures);
      return results.shift();
    }, 1);
    const counts: number[] = [];
    for (let i = 0; i < 4; i++) {
      queue.add("a");
      await queue.idle();
      counts.push(queue.failureCount("a"));
    }
    expect(runs).toEqual([1, 2, 3, 1]);
    expect(counts).toEqual([1, 2, 0, 1]);
    expect(queue.failureCount("b")).toBe(0);
  });

  it("runs the key again after the delay the sync asked for", async () => {
    jest.useFakeTimers();
    const { processed, process } = recordingProcess();
    const queue = queueOf(async (key) => {
      await process(key);
      return { requeueAfterMs: 30_000 };
    }, 1);
    queue.add("a");
    await jest.advanceTimersByTimeAsync(29_999);
    expect(processed).toEqual(["a"]);
    await jest.advanceTimersByTimeAsync(1);
    expect(processed).toEqual(["a", "a"]);
    await queue.shutdown();
  });

  it("retries a sync that threw with backoff, counting it as a failure", async () => {
    jest.useFakeTimers();
    let runs = 0;
    const queue = queueOf(async () => {
      runs++;
      throw new Error("the apiserver is unavailable");
    }, 1);
    queue.add("a");
    await jest.advanceTimersByTimeAsync(0);
    expect([runs, queue.failureCount("a")]).toEqual([1, 1]);
    await jest.advanceTimersByTimeAsync(4_999);
    expect(runs).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect([runs, queue.failureCount("a")]).toEqual([2, 2]);
    await queue.shutdown();
  });

  it("does not retry a sync abandoned because the operator is stopping", async () => {
    jest.useFakeTimers();
    let runs = 0;
    const queue = queueOf(async () => {
      runs++;
      throw new StoppedError("stopping");
    }, 1);
    queue.add("a");
    await jest.advanceTimersByTimeAsync(10 * 60_000);
    expect(runs).toBe(1);
    expect(queue.failureCount("a")).toBe(0);
  });
});

describe("WorkQueue.touch", () => {
  it("queues a key that is not backing off, like add", async () => {
    const { processed, process } = recordingProcess();
    const queue = queueOf(process, 2);
    queue.touch("a");
    await queue.idle();
    expect(processed).toEqual(["a"]);
  });

  it("leaves the retry of a key that failed in place, and add still runs it at once", async () => {
    jest.useFakeTimers();
    const { processed, process } = recordingProcess();
    let failNext = true;
    const queue = queueOf(async (key) => {
      await process(key);
      if (!failNext) return {};
      failNext = false;
      return { failed: true, requeueAfterMs: 10_000 };
    }, 2);
    queue.add("a");
    await queue.idle();
    processed.length = 0;
    queue.touch("a");
    queue.touchAfter("a", 100);
    jest.advanceTimersByTime(5_000);
    await queue.idle();
    expect(processed).toEqual([]);
    jest.advanceTimersByTime(5_000);
    await queue.idle();
    expect(processed).toEqual(["a"]);
    queue.add("a");
    await queue.idle();
    expect(processed).toEqual(["a", "a"]);
  });

  it("runs a key touched while in flight again afterwards only if that run succeeded", async () => {
    const gated = gatedProcess();
    const queue = queueOf(gated.process, 2);
    queue.add("ok");
    queue.add("failing");
    await flush();
    queue.touch("ok");
    queue.touch("failing");
    await gated.finish("ok");
    await gated.finish("failing", { failed: true });
    expect(gated.started).toEqual(["ok", "failing", "ok"]);
    await gated.finish("ok");
  });
});

describe("WorkQueue hooks", () => {
  it("frees the worker and retries the key when a hook throws", async () => {
    jest.useFakeTimers();
    const synced: string[] = [];
    let throwOnce = true;
    const queue = new WorkQueue<string>({
      sync: async (key) => {
        synced.push(key);
        return {};
      },
      keyOf: (key) => key,
      describe: (key) => {
        if (throwOnce) {
          throwOnce = false;
          throw new Error("describe failed");
        }
        return { key };
      },
      concurrency: 1,
      logger: pino({ level: "silent" }),
      random: () => 0.5,
    });
    const quiet = jest.spyOn(console, "error").mockImplementation(() => {});
    queue.add("a");
    queue.add("b");
    await jest.advanceTimersByTimeAsync(0);
    expect(synced).toEqual(["b"]);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(synced).toEqual(["b", "a"]);
    quiet.mockRestore();
    await queue.shutdown();
  });
});
