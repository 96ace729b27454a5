import { describe, expect, it } from "@jest/globals";
import { formatDuration, parseDuration } from "../../../src/util/duration.js";

describe("parseDuration", () => {
  it.each([
    ["250ms", 250],
    ["0s", 0],
    ["30s", 30_000],
    ["5m", 300_000],
    ["6h", 21_600_000],
    ["24h", 86_400_000],
    ["1h30m", 5_400_000],
    ["1m30s", 90_000],
    ["1h2m3s4ms", 3_723_004],
    ["1.5h", 5_400_000],
    ["0.5s", 500],
    ["2.5m", 150_000],
    ["90s", 90_000],
    ["1500ms", 1_500],
  ])("parses %p as %i ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ["an empty string", ""],
    ["a bare number", "10"],
    ["a negative duration", "-5m"],
    ["a unit without a number", "h"],
    ["an unknown unit", "5d"],
    ["microseconds", "10us"],
    ["an upper-case unit", "5M"],
    ["spaces", "1h 30m"],
    ["surrounding whitespace", " 5m"],
    ["a trailing number", "1h30"],
    ["a leading dot", ".5h"],
    ["a word", "soon"],
    ["an ISO 8601 duration", "PT5M"],
  ])("rejects %s (%p), naming the input", (_name, text) => {
    expect(() => parseDuration(text)).toThrow(`invalid duration "${text}"`);
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0ms"],
    [250, "250ms"],
    [-5, "0ms"],
    [1_000, "1s"],
    [45_000, "45s"],
    [60_000, "1m"],
    [90_000, "1m30s"],
    [3_600_000, "1h"],
    [3_720_000, "1h2m"],
    [3_723_000, "1h2m3s"],
    [3_603_000, "1h3s"],
    [86_400_000, "24h"],
    [1_499, "1s"],
  ])("formats %i ms as %p", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each(["45s", "1m30s", "1h", "1h2m3s", "24h"])("round-trips %p through parseDuration", (text) => {
    expect(formatDuration(parseDuration(text))).toBe(text);
  });
});
