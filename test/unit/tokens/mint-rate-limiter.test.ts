import { describe, expect, it } from "@jest/globals";
import type { MintQuota } from "../../../src/providers/provider.js";
import { MintRateLimiter } from "../../../src/tokens/mint-rate-limiter.js";
import { FakeClock, settle } from "../../fakes/clock.js";

const ecrRate = { perSecond: 20, burst: 200 };
const account = (id: string, region = "eu-west-1"): MintQuota => ({ key: `aws|${id}|${region}` });

/** Starts `count` acquires of one quota at once; `done` counts those resolved so far. */
function acquireMany(limiter: MintRateLimiter, quota: MintQuota, count: number, prefix = "identity") {
  const state = { done: 0, waited: [] as number[] };
  const all = Array.from({ length: count }, (_, i) =>
    limiter.acquire("ecr", quota, `${prefix}-${i}`).then((ms) => {
      state.done++;
      state.waited.push(ms);
    }),
  );
  return { state, all: Promise.all(all) };
}

describe("MintRateLimiter", () => {
  it("lets a burst through at once, then one mint every 1/rate seconds, none early", async () => {
    const clock = new FakeClock();
    const limiter = new MintRateLimiter(clock, { ecr: ecrRate }, 1);
    const { state, all } = acquireMany(limiter, account("111122223333"), 250);
    await settle();
    expect(state.done).toBe(200);
    await clock.advance(49);
    expect(state.done).toBe(200);
    await clock.advance(1);
    expect(state.done).toBe(201);
    await clock.advance(1_000);
    expect(state.done).toBe(221);
    await clock.advance(1_500);
    expect(state.done).toBe(250);
    await all;
    expect(Math.max(...state.waited)).toBe(2_500);
  });

  it.each([
    ["another account", account("444455556666")],
    ["another region", account("111122223333", "us-east-1")],
  ])("keeps quotas apart: a mint of %s does not wait for a spent one", async (_name, other) => {
    const clock = new FakeClock();
    const limiter = new MintRateLimiter(clock, { ecr: { perSecond: 1, burst: 1 } }, 1);
    await limiter.acquire("ecr", account("111122223333"), "a");
    let waited: number | undefined;
    void limiter.acquire("ecr", other, "b").then((ms) => {
      waited = ms;
    });
    await settle();
    expect(waited).toBe(0);
  });

  it.each([
    ["a provider without a rate", "gar" as const, account("1")],
    ["a source without a quota", "ecr" as const, undefined],
  ])("never makes %s wait", async (_name, provider, quota) => {
    const clock = new FakeClock();
    const limiter = new MintRateLimiter(clock, { ecr: { perSecond: 1, burst: 1 } }, 1);
    const waits = await Promise.all(
      Array.from({ length: 5 }, (_, i) => limiter.acquire(provider, quota, `id-${i}`)),
    );
    expect(waits).toEqual([0, 0, 0, 0, 0]);
  });

  it("refills at the rate after a quiet spell, never above the burst", async () => {
    const clock = new FakeClock();
    const limiter = new MintRateLimiter(clock, { ecr: { perSecond: 10, burst: 5 } }, 1);
    const quota = account("111122223333");
    await acquireMany(limiter, quota, 5, "first").all;
    clock.skip(60_000);
    const { state } = acquireMany(limiter, quota, 7, "second");
    await settle();
    expect(state.done).toBe(5);
    await clock.advance(200);
    expect(state.done).toBe(7);
  });

  it("moves identities whose mints showed their accounts from the shared quota of the unknown to their accounts'", async () => {
    const clock = new FakeClock();
    const limiter = new MintRateLimiter(clock, { ecr: { perSecond: 1, burst: 2 } }, 1);
    const unknown: MintQuota = { key: "aws|?|eu-west-1" };
    expect(limiter.keyOf("ecr", unknown, "keys-a")).toBe("ecr|aws|?|eu-west-1");
    // Before: two identities of unknown accounts share one burst.
    await limiter.acquire("ecr", unknown, "keys-a");
    await limiter.acquire("ecr", unknown, "keys-b");
    limiter.learn("keys-a", "aws|111122223333|eu-west-1");
    limiter.learn("keys-b", "aws|444455556666|eu-west-1");
    expect(limiter.keyOf("ecr", unknown, "keys-a")).toBe("ecr|aws|111122223333|eu-west-1");
    clock.skip(10_000);
    // After: each account has a burst of its own.
    const waits = await Promise.all([
      limiter.acquire("ecr", unknown, "keys-a"),
      limiter.acquire("ecr", unknown, "keys-a"),
      limiter.acquire("ecr", unknown, "keys-b"),
      limiter.acquire("ecr", unknown, "keys-b"),
    ]);
    expect(waits).toEqual([0, 0, 0, 0]);
  });

  it("resolves at once when the stop signal aborts a wait, and gives the slot back", async () => {
    const clock = new FakeClock();
    const limiter = new MintRateLimiter(clock, { ecr: { perSecond: 1, burst: 1 } }, 1);
    const quota = account("111122223333");
    await limiter.acquire("ecr", quota, "a");
    const stop = new AbortController();
    let aborted: number | undefined;
    void limiter.acquire("ecr", quota, "b", stop.signal).then((ms) => {
      aborted = ms;
    });
    await clock.advance(100);
    stop.abort();
    await settle();
    expect(aborted).toBe(100);
    // b's slot went back: c waits only for the first refill, 1 s after a's mint.
    let waited: number | undefined;
    void limiter.acquire("ecr", quota, "c").then((ms) => {
      waited = ms;
    });
    await clock.advance(900);
    expect(waited).toBe(900);
  });

  it("keeps 10 % below the rate and burst it is given, for the jitter between it and the cloud", async () => {
    const clock = new FakeClock();
    const limiter = new MintRateLimiter(clock, { ecr: ecrRate });
    const { state, all } = acquireMany(limiter, account("111122223333"), 200);
    await settle();
    expect(state.done).toBe(180);
    await clock.advance(1_000);
    expect(state.done).toBe(198);
    await clock.advance(200);
    await all;
  });

  it("books mints of an unknown account in every known account's bucket it may be, and starts a learnt account's bucket no fuller", async () => {
    const clock = new FakeClock();
    const limiter = new MintRateLimiter(clock, { ecr: { perSecond: 1, burst: 2 } }, 1);
    const unknown: MintQuota = { key: "aws|?|eu-west-1" };
    const known = account("111122223333");
    // Two mints of unknown accounts spend the unknown bucket; the account learnt from one of them
    // may be the other's too, so its bucket starts empty.
    await limiter.acquire("ecr", unknown, "keys-1");
    await limiter.acquire("ecr", unknown, "keys-2");
    limiter.learn("keys-1", known.key);
    let waited: number | undefined;
    void limiter.acquire("ecr", unknown, "keys-1").then((ms) => {
      waited = ms;
    });
    await settle();
    expect(waited).toBeUndefined();
    await clock.advance(1_000);
    expect(waited).toBe(1_000);
    // A mint of another unknown identity books a slot in the known account's bucket as well.
    clock.skip(10_000);
    await limiter.acquire("ecr", unknown, "keys-3");
    await limiter.acquire("ecr", unknown, "keys-4");
    let knownWaited: number | undefined;
    void limiter.acquire("ecr", known, "irsa").then((ms) => {
      knownWaited = ms;
    });
    await settle();
    expect(knownWaited).toBeUndefined();
    await clock.advance(1_000);
    expect(knownWaited).toBe(1_000);
    // Another region's unknown accounts are not this account.
    expect(await limiter.acquire("ecr", { key: "aws|?|us-east-1" }, "keys-5")).toBe(0);
  });

  it.each([
    ["a zero rate", { perSecond: 0, burst: 10 }],
    ["a burst below 1", { perSecond: 5, burst: 0 }],
    ["a rate that is not a number", { perSecond: Number.NaN, burst: 10 }],
  ])("refuses %s", (_name, rate) => {
    expect(() => new MintRateLimiter(new FakeClock(), { ecr: rate })).toThrow("invalid mint rate for ecr");
  });
});
