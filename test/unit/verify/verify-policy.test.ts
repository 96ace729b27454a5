import { describe, expect, it } from "@jest/globals";
import type { VerifyPolicy } from "../../../src/api/v1alpha1.js";
import { resolveVerifyPolicy } from "../../../src/verify/verify-policy.js";

describe("resolveVerifyPolicy", () => {
  it.each<[string, VerifyPolicy | undefined, ReturnType<typeof resolveVerifyPolicy>]>([
    ["checks after each mint in Warn mode when spec.verify is absent", undefined, { mode: "Warn" }],
    [
      "defaults the mode to Warn when only an interval is given",
      { interval: "30m" },
      { mode: "Warn", intervalMs: 1_800_000 },
    ],
    ["keeps Enforce without an interval", { mode: "Enforce" }, { mode: "Enforce" }],
    ["keeps Disabled", { mode: "Disabled" }, { mode: "Disabled" }],
    [
      "parses a compound interval",
      { mode: "Enforce", interval: "1h30m" },
      { mode: "Enforce", intervalMs: 5_400_000 },
    ],
    ["accepts exactly the one-minute minimum", { interval: "1m" }, { mode: "Warn", intervalMs: 60_000 }],
    ["accepts the minimum written in seconds", { interval: "60s" }, { mode: "Warn", intervalMs: 60_000 }],
    ["treats an empty interval as none", { mode: "Warn", interval: "" }, { mode: "Warn" }],
  ])("%s", (_name, policy, resolved) => {
    expect(resolveVerifyPolicy(policy)).toEqual(resolved);
  });

  it.each<[string, string, string]>([
    ["an interval under a minute", "59s", "interval 59s is shorter than the minimum of 1m"],
    [
      "an interval in milliseconds under a minute",
      "59999ms",
      "interval 59999ms is shorter than the minimum of 1m",
    ],
    ["a zero interval", "0s", "interval 0s is shorter than the minimum of 1m"],
    ["a bare number", "30", 'invalid duration "30"'],
    ["an unknown unit", "1d", 'invalid duration "1d"'],
    ["a negative interval", "-5m", 'invalid duration "-5m"'],
  ])("rejects %s with a message naming it", (_name, interval, message) => {
    expect(() => resolveVerifyPolicy({ mode: "Enforce", interval })).toThrow(message);
  });
});
