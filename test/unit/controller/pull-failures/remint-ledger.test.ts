import { describe, expect, it } from "@jest/globals";
import { type RemintDecision, RemintLedger } from "../../../../src/controller/pull-failures/remint-ledger.js";
import { FakeClock } from "../../../fakes/clock.js";

const intervalMs = 10 * 60_000;
const graceMs = 15_000;

/** One observation of a pod: `after` ms since the previous one, the pod, and whether the kubelet just tried. */
type Step = [after: number, identity: string, pod: string, fresh: boolean];

/** The ledger's decisions for the steps, in order, over a fake clock. */
function decisions(steps: readonly Step[]): RemintDecision[] {
  const clock = new FakeClock();
  const ledger = new RemintLedger(clock, intervalMs, graceMs);
  return steps.map(([after, identity, pod, fresh]) => {
    clock.skip(after);
    return ledger.decide(identity, pod, fresh);
  });
}

describe("RemintLedger.decide", () => {
  it.each<[string, Step[], RemintDecision[]]>([
    ["the first refusal of an identity asks for a fresh mint", [[0, "id-a", "ns/p1", true]], ["Remint"]],
    [
      "another pod of the same identity within the interval waits for that mint",
      [
        [0, "id-a", "ns/p1", true],
        [5_000, "id-a", "ns/p2", false],
      ],
      ["Remint", "Reminted"],
    ],
    [
      "a pod of another identity asks for its own mint",
      [
        [0, "id-a", "ns/p1", true],
        [1_000, "id-b", "ns/p2", true],
      ],
      ["Remint", "Remint"],
    ],
    [
      "a fresh attempt within the grace after the mint still waits for the new login",
      [
        [0, "id-a", "ns/p1", true],
        [graceMs - 1, "id-a", "ns/p1", true],
      ],
      ["Remint", "Reminted"],
    ],
    [
      "a fresh attempt refused once the grace has passed is a permission problem",
      [
        [0, "id-a", "ns/p1", true],
        [graceMs, "id-a", "ns/p1", true],
      ],
      ["Remint", "PermissionDenied"],
    ],
    [
      "a back-off observation is never a permission problem, however late",
      [
        [0, "id-a", "ns/p1", true],
        [graceMs, "id-a", "ns/p1", false],
        [intervalMs * 3, "id-a", "ns/p1", false],
      ],
      ["Remint", "Reminted", "Reminted"],
    ],
    [
      "another pod's fresh attempt after the grace of a mint it waited on is a permission problem",
      [
        [0, "id-a", "ns/p1", true],
        [1_000, "id-a", "ns/p2", false],
        [graceMs, "id-a", "ns/p2", true],
      ],
      ["Remint", "Reminted", "PermissionDenied"],
    ],
    [
      "a new pod refused on a fresh attempt after the grace of a recent mint of its identity is a permission problem",
      [
        [0, "id-a", "ns/p1", true],
        [graceMs, "id-a", "ns/p2", true],
      ],
      ["Remint", "PermissionDenied"],
    ],
    [
      "after the interval a new pod may ask for a fresh mint again",
      [
        [0, "id-a", "ns/p1", true],
        [intervalMs, "id-a", "ns/p2", true],
      ],
      ["Remint", "Remint"],
    ],
    [
      "a pod that already saw a fresh mint never asks for another, even after the interval",
      [
        [0, "id-a", "ns/p1", true],
        [intervalMs * 2, "id-a", "ns/p1", true],
        [intervalMs * 2, "id-a", "ns/p1", false],
      ],
      ["Remint", "PermissionDenied", "Reminted"],
    ],
    [
      "a pod that waited on another's mint never asks for one, even after the interval",
      [
        [0, "id-a", "ns/p1", true],
        [1_000, "id-a", "ns/p2", false],
        [intervalMs * 2, "id-a", "ns/p2", false],
      ],
      ["Remint", "Reminted", "Reminted"],
    ],
  ])("%s", (_name, steps, expected) => {
    expect(decisions(steps)).toEqual(expected);
  });
});

describe("RemintLedger.forget", () => {
  it("lets a forgotten pod ask for a fresh mint again once the interval has passed", () => {
    const clock = new FakeClock();
    const ledger = new RemintLedger(clock, intervalMs, graceMs);
    expect(ledger.decide("id-a", "ns/p1", true)).toBe("Remint");
    clock.skip(intervalMs);
    ledger.forget("ns/p1");
    expect(ledger.decide("id-a", "ns/p1", true)).toBe("Remint");
  });

  it("does not lift the identity's rate limit: a forgotten pod within the interval waits for the last mint", () => {
    const clock = new FakeClock();
    const ledger = new RemintLedger(clock, intervalMs, graceMs);
    expect(ledger.decide("id-a", "ns/p1", true)).toBe("Remint");
    clock.skip(1_000);
    ledger.forget("ns/p1");
    expect(ledger.decide("id-a", "ns/p1", false)).toBe("Reminted");
  });

  it("leaves other pods as they were", () => {
    const clock = new FakeClock();
    const ledger = new RemintLedger(clock, intervalMs, graceMs);
    ledger.decide("id-a", "ns/p1", true);
    ledger.decide("id-a", "ns/p2", false);
    clock.skip(intervalMs);
    ledger.forget("ns/p1");
    expect(ledger.decide("id-a", "ns/p2", true)).toBe("PermissionDenied");
  });
});
