import { describe, expect, it } from "@jest/globals";
import { formatTable } from "../../../src/cli/table.js";
import { relativeTime } from "../../../src/cli/time.js";

describe("formatTable", () => {
  it("pads columns and upper-cases headers", () => {
    expect(
      formatTable(
        ["name", "ready"],
        [
          ["a", "True"],
          ["longer-name", "False"],
        ],
      ),
    ).toBe(["NAME          READY", "a             True", "longer-name   False"].join("\n"));
  });

  it("prints only headers for no rows", () => {
    expect(formatTable(["a", "b"], [])).toBe("A   B");
  });
});

describe("relativeTime", () => {
  const now = new Date("2026-01-01T00:00:00Z");
  it("says in 5h for a future time", () => {
    expect(relativeTime("2026-01-01T05:00:00Z", now)).toBe("in 5h");
  });
  it("rounds to minutes past an hour and says ago for the past", () => {
    expect(relativeTime("2025-12-31T22:29:50Z", now)).toBe("1h30m ago");
  });
  it("is empty for missing or invalid times", () => {
    expect(relativeTime(undefined, now)).toBe("");
    expect(relativeTime("nope", now)).toBe("");
  });
});
