import { describe, expect, it } from "@jest/globals";
import type { PullFailureStatus } from "../../../../src/api/v1alpha1.js";
import {
  maxPullFailuresListed,
  withoutPod,
  withPullFailure,
  worthRecording,
} from "../../../../src/controller/pull-failures/pull-failure-list.js";

const t0 = Date.parse("2030-01-01T00:00:00.000Z");
const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();
const image = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/app:1";

/** An entry of status.pullFailures: pod `pod` in team-a failing to pull `image`, seen `seconds` after t0. */
function failure(
  pod: string,
  seconds: number,
  overrides: Partial<PullFailureStatus> = {},
): PullFailureStatus {
  return {
    namespace: "team-a",
    pod,
    image,
    cause: "CredentialsRefused",
    action: "Reminted",
    message: "401 Unauthorized",
    lastSeen: at(seconds),
    ...overrides,
  };
}

const pods = (list: readonly PullFailureStatus[]) => list.map((e) => `${e.namespace}/${e.pod} ${e.image}`);

describe("withPullFailure", () => {
  it("starts a list from nothing", () => {
    expect(withPullFailure(undefined, failure("p1", 0))).toEqual([failure("p1", 0)]);
  });

  it("puts the latest first", () => {
    const list = withPullFailure([failure("p2", 20), failure("p1", 10)], failure("p3", 30));
    expect(list.map((e) => e.pod)).toEqual(["p3", "p2", "p1"]);
  });

  it("replaces the entry of the same pod and image, wherever it was", () => {
    const list = withPullFailure(
      [failure("p2", 20), failure("p1", 10)],
      failure("p1", 30, { action: "PermissionDenied" }),
    );
    expect(list).toEqual([failure("p1", 30, { action: "PermissionDenied" }), failure("p2", 20)]);
  });

  it.each<[string, Partial<PullFailureStatus>]>([
    ["another image of the same pod", { image: "111122223333.dkr.ecr.eu-west-1.amazonaws.com/sidecar:1" }],
    ["a pod of the same name in another namespace", { namespace: "team-b" }],
  ])("keeps %s beside it", (_name, other) => {
    const list = withPullFailure([failure("p1", 10, other)], failure("p1", 20));
    expect(list).toHaveLength(2);
  });

  it(`keeps at most ${maxPullFailuresListed} entries, dropping the oldest`, () => {
    let list: PullFailureStatus[] = [];
    for (let i = 0; i < maxPullFailuresListed + 3; i++) list = withPullFailure(list, failure(`p${i}`, i));
    expect(list).toHaveLength(maxPullFailuresListed);
    expect(list[0]?.pod).toBe(`p${maxPullFailuresListed + 2}`);
    expect(list.map((e) => e.pod)).not.toContain("p2");
    expect(list.map((e) => e.pod)).toContain("p3");
  });

  it("does not change the list it is given", () => {
    const list = [failure("p1", 10)];
    withPullFailure(list, failure("p1", 20));
    expect(list).toEqual([failure("p1", 10)]);
  });
});

describe("withoutPod", () => {
  it.each<[string, PullFailureStatus[] | undefined, string[]]>([
    [
      "drops every image of the pod",
      [failure("p1", 10), failure("p1", 11, { image: "quay.io/x/y:1" }), failure("p2", 12)],
      [`team-a/p2 ${image}`],
    ],
    [
      "keeps a pod of the same name in another namespace",
      [failure("p1", 10, { namespace: "team-b" })],
      [`team-b/p1 ${image}`],
    ],
    ["is empty for no list", undefined, []],
  ])("%s", (_name, list, expected) => {
    expect(pods(withoutPod(list, "team-a", "p1"))).toEqual(expected);
  });
});

describe("worthRecording", () => {
  it.each<[string, PullFailureStatus[] | undefined, PullFailureStatus, boolean]>([
    ["a pod and image not listed yet", [failure("p2", 0)], failure("p1", 1), true],
    ["anything, when there is no list", undefined, failure("p1", 1), true],
    ["another cause", [failure("p1", 0)], failure("p1", 1, { cause: "NotFound" }), true],
    ["another action", [failure("p1", 0)], failure("p1", 1, { action: "PermissionDenied" }), true],
    [
      "another message alone within the minute (the kubelet's alternates between attempt and back-off)",
      [failure("p1", 0)],
      failure("p1", 1, { message: "403 Forbidden" }),
      false,
    ],
    ["the same news within the minute", [failure("p1", 0)], failure("p1", 59), false],
    ["the same news a minute later", [failure("p1", 0)], failure("p1", 60), true],
  ])("says %s is %p", (_name, list, entry, expected) => {
    expect(worthRecording(list, entry)).toBe(expected);
  });

  it("takes the refresh period it is given", () => {
    expect(worthRecording([failure("p1", 0)], failure("p1", 10), 10_000)).toBe(true);
    expect(worthRecording([failure("p1", 0)], failure("p1", 9), 10_000)).toBe(false);
  });
});
