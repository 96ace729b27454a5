import { createHash } from "node:crypto";
import { describe, expect, it } from "@jest/globals";
import type { RefreshPolicy } from "../../../src/api/v1alpha1.js";
import {
  defaultRefreshPolicy,
  maxPlausibleLifetimeMs,
  plannedLifetimeMs,
  type ResolvedRefreshPolicy,
  refreshTime,
  resolveRefreshPolicy,
  stableJitter,
} from "../../../src/tokens/refresh-schedule.js";

const second = 1_000;
const minute = 60 * second;
const hour = 60 * minute;
const mintedAt = new Date("2030-01-01T00:00:00.000Z");

const mintedPlus = (ms: number) => new Date(mintedAt.getTime() + ms);

function policy(overrides: Partial<ResolvedRefreshPolicy> = {}): ResolvedRefreshPolicy {
  return { ...resolveRefreshPolicy(undefined), ...overrides };
}

/** The refresh offset after minting, in ms. */
function offset(expiresAt: Date | undefined, p: ResolvedRefreshPolicy, jitter = 0): number {
  return refreshTime(mintedAt, expiresAt, p, jitter).getTime() - mintedAt.getTime();
}

describe("resolveRefreshPolicy", () => {
  it("applies every default when the policy is omitted", () => {
    expect(resolveRefreshPolicy(undefined)).toEqual({
      lifetimeFraction: 0.5,
      jitterFraction: 0.1,
      minIntervalMs: minute,
      maxIntervalMs: 6 * hour,
    });
    expect(resolveRefreshPolicy({})).toEqual(resolveRefreshPolicy(undefined));
  });

  it.each<[string, RefreshPolicy, Partial<ResolvedRefreshPolicy>]>([
    ["seconds", { minInterval: "30s" }, { minIntervalMs: 30 * second }],
    ["minutes", { maxInterval: "90m" }, { maxIntervalMs: 90 * minute }],
    ["a compound duration", { maxInterval: "1h30m" }, { maxIntervalMs: 90 * minute }],
    ["fractions", { lifetimeFraction: 0.8, jitterFraction: 0 }, { lifetimeFraction: 0.8, jitterFraction: 0 }],
    [
      "both bounds",
      { minInterval: "10s", maxInterval: "24h" },
      { minIntervalMs: 10 * second, maxIntervalMs: 24 * hour },
    ],
  ])("converts %s and keeps the other defaults", (_name, input, expected) => {
    expect(resolveRefreshPolicy(input)).toEqual({ ...resolveRefreshPolicy(undefined), ...expected });
  });

  it.each<[string, RefreshPolicy, number, number]>([
    ["a minInterval above the default maxInterval", { minInterval: "12h" }, 6 * hour, 6 * hour],
    ["a maxInterval below the default minInterval", { maxInterval: "30s" }, 30 * second, 30 * second],
    ["a minInterval above an explicit maxInterval", { minInterval: "2h", maxInterval: "1h" }, hour, hour],
  ])("lowers minInterval to maxInterval for %s", (_name, input, min, max) => {
    expect(resolveRefreshPolicy(input)).toMatchObject({ minIntervalMs: min, maxIntervalMs: max });
  });

  it.each([["soon"], ["10"], ["-5m"]])("throws naming an unparsable duration %p", (text) => {
    expect(() => resolveRefreshPolicy({ minInterval: text })).toThrow(text);
    expect(() => resolveRefreshPolicy({ maxInterval: text })).toThrow(text);
  });

  it("exposes the same defaults it applies", () => {
    expect(resolveRefreshPolicy(undefined)).toEqual(defaultRefreshPolicy);
  });
});

describe("plannedLifetimeMs", () => {
  it.each<[string, Date | undefined, number | undefined]>([
    ["missing", undefined, undefined],
    ["an invalid date", new Date(Number.NaN), undefined],
    ["in the past", mintedPlus(-hour), undefined],
    ["equal to the mint time", mintedAt, undefined],
    ["more than seven days out", mintedPlus(maxPlausibleLifetimeMs + 1), undefined],
    ["exactly seven days out", mintedPlus(maxPlausibleLifetimeMs), maxPlausibleLifetimeMs],
    ["twelve hours out (ECR)", mintedPlus(12 * hour), 12 * hour],
    ["one hour out (Google)", mintedPlus(hour), hour],
  ])("gives %s expiry a lifetime of %p", (_name, expiresAt, expected) => {
    expect(plannedLifetimeMs(mintedAt, expiresAt)).toBe(expected);
  });

  it("treats moto's fixed 2015 expiry as unusable", () => {
    expect(plannedLifetimeMs(new Date(), new Date("2015-03-23T00:00:00Z"))).toBeUndefined();
  });
});

describe("refreshTime", () => {
  it.each<[string, number, number]>([
    ["a 12 h ECR token", 12 * hour, 6 * hour],
    ["a 1 h Google token", hour, 30 * minute],
    ["a 10 min token", 10 * minute, 5 * minute],
  ])("renews %s at half its lifetime by default", (_name, lifetime, expected) => {
    expect(offset(mintedPlus(lifetime), policy())).toBe(expected);
  });

  it.each<[string, number, number]>([
    ["full positive jitter", 1, 36 * minute],
    ["full negative jitter", -1, 24 * minute],
    ["half negative jitter", -0.5, 27 * minute],
    ["jitter above 1, clamped to 1", 7, 36 * minute],
    ["jitter below -1, clamped to -1", -7, 24 * minute],
  ])("shifts the renewal by jitterFraction of the lifetime for %s", (_name, jitter, expected) => {
    expect(offset(mintedPlus(hour), policy(), jitter)).toBe(expected);
  });

  it("uses lifetimeFraction", () => {
    expect(offset(mintedPlus(hour), policy({ lifetimeFraction: 0.8, jitterFraction: 0 }))).toBe(48 * minute);
  });

  it("clamps to minInterval when the fraction of a short lifetime is below it", () => {
    // 0.5 × 3 min = 90 s < 2 min; 2 min is still before 0.9 × 3 min = 162 s.
    expect(offset(mintedPlus(3 * minute), policy({ minIntervalMs: 2 * minute }))).toBe(2 * minute);
  });

  it("clamps to maxInterval when the fraction of a long lifetime is above it", () => {
    expect(offset(mintedPlus(12 * hour), policy({ maxIntervalMs: hour }), 1)).toBe(hour);
  });

  it.each<[string, Partial<ResolvedRefreshPolicy>, number]>([
    ["a minInterval past 0.9 of the lifetime", { minIntervalMs: 55 * minute }, 54 * minute],
    [
      "lifetimeFraction plus jitter past 0.9",
      { lifetimeFraction: 0.9, jitterFraction: 0.3, maxIntervalMs: 24 * hour },
      54 * minute,
    ],
  ])("never renews later than 0.9 of the lifetime for %s", (_name, overrides, expected) => {
    expect(offset(mintedPlus(hour), policy(overrides), 1)).toBe(expected);
  });

  it("renews after minInterval when the token lives no longer than minInterval", () => {
    // A 30 s token under a 1 min floor: no point in renewing every 27 s; the floor wins.
    expect(offset(mintedPlus(30 * second), policy())).toBe(minute);
  });

  it.each<[string, Date | undefined]>([
    ["no expiry", undefined],
    ["an invalid expiry", new Date(Number.NaN)],
    ["moto's 2015 expiry", new Date("2015-03-23T00:00:00Z")],
    ["an expiry a year out", mintedPlus(365 * 24 * hour)],
  ])("renews after minInterval for %s", (_name, expiresAt) => {
    expect(offset(expiresAt, policy({ minIntervalMs: 90 * second }), 1)).toBe(90 * second);
  });

  it("stays within [minInterval, 0.9 × lifetime] for every jitter", () => {
    const p = policy({ jitterFraction: 0.3, lifetimeFraction: 0.7, minIntervalMs: 10 * second });
    for (let jitter = -1; jitter <= 1; jitter += 0.125) {
      const ms = offset(mintedPlus(hour), p, jitter);
      expect(ms).toBeGreaterThanOrEqual(10 * second);
      expect(ms).toBeLessThanOrEqual(0.9 * hour);
    }
  });
});

/** A fixed, UUID-shaped uid per index, like the apiserver assigns (random-looking, not sequential). */
function uidFor(i: number): string {
  const hex = createHash("sha256").update(String(i)).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

describe("stableJitter", () => {
  it.each([
    ["the empty key", ""],
    ["a one-letter key", "a"],
    ["a uid", "5f1c2d3e-0000-4000-8000-000000000001"],
    ["a long key", "x".repeat(500)],
  ])("is deterministic for %s", (_name, key) => {
    const first = stableJitter(key);
    expect(stableJitter(key)).toBe(first);
    expect(first).toBeGreaterThanOrEqual(-1);
    expect(first).toBeLessThanOrEqual(1);
  });

  it("stays within [-1, 1] over many keys", () => {
    for (let i = 0; i < 2_000; i++) {
      const value = stableJitter(`resource-${i}`);
      expect(value).toBeGreaterThanOrEqual(-1);
      expect(value).toBeLessThanOrEqual(1);
    }
  });

  it("spreads different resource uids across the range", () => {
    const values = Array.from({ length: 200 }, (_, i) => stableJitter(uidFor(i)));
    expect(new Set(values).size).toBe(values.length);
    expect(values.some((v) => v < -0.5)).toBe(true);
    expect(values.some((v) => v > 0.5)).toBe(true);
  });
});
