import { describe, expect, it } from "@jest/globals";
import type { Condition, ConditionStatus } from "../../../../src/api/v1alpha1.js";
import {
  type ConditionUpdate,
  findCondition,
  setCondition,
} from "../../../../src/controller/credential/conditions.js";

const earlier = "2030-01-01T00:00:00.000Z";
const now = new Date("2030-01-01T01:00:00.000Z");

function condition(type: string, status: ConditionStatus, overrides: Partial<Condition> = {}): Condition {
  return {
    type,
    status,
    reason: `${type}Reason`,
    message: `${type} is ${status}`,
    lastTransitionTime: earlier,
    observedGeneration: 1,
    ...overrides,
  };
}

function update(status: ConditionStatus, reason = "TokenRefreshed", message = "refreshed"): ConditionUpdate {
  return { type: "Ready", status, reason, message };
}

describe("setCondition", () => {
  it("adds a condition that did not exist, stamped now", () => {
    expect(setCondition(undefined, update("True"), 3, now)).toEqual([
      {
        type: "Ready",
        status: "True",
        reason: "TokenRefreshed",
        message: "refreshed",
        lastTransitionTime: now.toISOString(),
        observedGeneration: 3,
      },
    ]);
    expect(setCondition([], update("False"), 3, now)).toHaveLength(1);
  });

  it.each<[ConditionStatus, ConditionStatus, string]>([
    ["True", "True", earlier],
    ["False", "False", earlier],
    ["Unknown", "Unknown", earlier],
    ["True", "False", now.toISOString()],
    ["False", "True", now.toISOString()],
    ["Unknown", "True", now.toISOString()],
  ])("going from %s to %s sets lastTransitionTime to %s", (from, to, expected) => {
    const [ready] = setCondition([condition("Ready", from)], update(to), 2, now);
    expect(ready?.lastTransitionTime).toBe(expected);
    expect(ready?.status).toBe(to);
  });

  it("replaces reason and message even when the status is unchanged", () => {
    const [ready] = setCondition(
      [condition("Ready", "False")],
      update("False", "ProviderError", "throttled"),
      2,
      now,
    );
    expect(ready).toMatchObject({
      reason: "ProviderError",
      message: "throttled",
      lastTransitionTime: earlier,
    });
  });

  it.each([
    ["a generation", 7, 7],
    ["no generation", undefined, undefined],
  ])("sets observedGeneration from %s", (_name, generation, expected) => {
    const [ready] = setCondition(
      [condition("Ready", "True", { observedGeneration: 1 })],
      update("True"),
      generation,
      now,
    );
    expect(ready?.observedGeneration).toBe(expected);
  });

  it("leaves conditions of other types as they are, and keeps one condition per type", () => {
    const stalled = condition("Stalled", "True");
    const other = condition("Synced", "False", { observedGeneration: 4 });
    const result = setCondition([stalled, condition("Ready", "False"), other], update("True"), 5, now);
    expect(result).toHaveLength(3);
    expect(findCondition(result, "Stalled")).toEqual(stalled);
    expect(findCondition(result, "Synced")).toEqual(other);
    expect(result.filter((c) => c.type === "Ready")).toHaveLength(1);
    expect(findCondition(result, "Ready")).toMatchObject({ status: "True", observedGeneration: 5 });
  });

  it("does not modify its input", () => {
    const input = [condition("Ready", "True")];
    const snapshot = structuredClone(input);
    setCondition(input, update("False"), 9, now);
    expect(input).toEqual(snapshot);
  });
});

describe("findCondition", () => {
  it.each<[string, Condition[] | undefined, string, boolean]>([
    ["present", [condition("Ready", "True")], "Ready", true],
    ["absent", [condition("Stalled", "True")], "Ready", false],
    ["in no conditions", undefined, "Ready", false],
  ])("finds a condition %s", (_name, conditions, type, found) => {
    expect(findCondition(conditions, type) !== undefined).toBe(found);
  });
});
