import { describe, expect, it } from "@jest/globals";
import { configurationRetryDelayMs, retryDelayMs } from "../../../../src/controller/runtime/retry-delay.js";

const second = 1_000;
const minute = 60 * second;
/** random = 0.5 puts the ±20 % jitter at its centre (factor 1). */
const centre = 0.5;

describe("retryDelayMs", () => {
  it.each([
    [0, 5 * second],
    [1, 5 * second],
    [2, 10 * second],
    [3, 20 * second],
    [4, 40 * second],
    [5, 80 * second],
    [6, 160 * second],
  ])("grows exponentially: after %i failures it waits %i ms", (failures, expected) => {
    expect(retryDelayMs(failures, undefined, centre)).toBe(expected);
  });

  it.each([7, 8, 20, 1_000])("caps the delay at 5 minutes after %i failures", (failures) => {
    expect(retryDelayMs(failures, undefined, centre)).toBe(5 * minute);
  });

  it.each([
    ["the lowest random", 0, 0.8],
    ["the centre", 0.5, 1],
    ["a random near 1", 0.999_999, 1.2],
  ])("applies jitter within ±20 %% for %s", (_name, random, factor) => {
    for (const failures of [1, 3, 10]) {
      const base = Math.min(5 * second * 2 ** (failures - 1), 5 * minute);
      // Jitter applies before the 5-minute cap, so the cap is a true maximum.
      expect(retryDelayMs(failures, undefined, random)).toBeCloseTo(Math.min(base * factor, 5 * minute), -1);
    }
  });

  it("stays within [0.8, 1.2] × the capped delay for any random", () => {
    for (let random = 0; random < 1; random += 0.05) {
      const delay = retryDelayMs(20, undefined, random);
      expect(delay).toBeGreaterThanOrEqual(0.8 * 5 * minute);
      expect(delay).toBeLessThanOrEqual(1.2 * 5 * minute);
    }
  });

  it.each([
    ["a login expiring in 4 minutes", 10, 4 * minute, 2 * minute],
    ["a login expiring in 30 s", 3, 30 * second, 15 * second],
    ["a login expiring in a day (cap not reached)", 3, 24 * 60 * minute, 20 * second],
  ])("caps the delay to half the remaining validity for %s", (_name, failures, msUntilExpiry, expected) => {
    expect(retryDelayMs(failures, msUntilExpiry, centre)).toBe(expected);
  });

  it.each([
    ["an expired login", 0],
    ["a login expired a minute ago", -minute],
    ["an unknown expiry", undefined],
  ])("ignores the validity for %s", (_name, msUntilExpiry) => {
    expect(retryDelayMs(2, msUntilExpiry, centre)).toBe(10 * second);
  });

  it.each([
    ["a login expiring in 1.5 s", 1_500],
    ["a login expiring in 10 ms", 10],
  ])("never waits less than 1 s, even for %s", (_name, msUntilExpiry) => {
    expect(retryDelayMs(5, msUntilExpiry, 0)).toBe(second);
  });

  it("returns whole milliseconds", () => {
    expect(Number.isInteger(retryDelayMs(3, undefined, 0.123_456))).toBe(true);
    expect(Number.isInteger(retryDelayMs(3, 12_345, centre))).toBe(true);
  });
});

describe("configurationRetryDelayMs", () => {
  it.each([0, 0.5, 0.999])("waits the longest delay, 5 minutes at most, for random %f", (random) => {
    const delay = configurationRetryDelayMs(undefined, random);
    expect(delay).toBeGreaterThanOrEqual(4 * 60_000);
    expect(delay).toBeLessThanOrEqual(5 * 60_000);
  });

  it("still retries before half of the current login's remaining time has passed", () => {
    expect(configurationRetryDelayMs(60_000, 0.5)).toBe(30_000);
  });
});
