import { describe, expect, it } from "@jest/globals";
import { type JsonPatchOperation, mutatePod, type PodLike } from "../../../src/webhook/mutate-pod.js";

/** Applies the (add-only) patch the way the apiserver would, to check the resulting list. */
function apply(pod: PodLike, patch: JsonPatchOperation[]): Array<{ name?: string | null } | null> {
  const result = structuredClone(pod) as {
    spec: { imagePullSecrets?: Array<{ name?: string | null } | null> };
  };
  for (const op of patch) {
    if (op.path === "/spec/imagePullSecrets") result.spec.imagePullSecrets = op.value as [];
    else if (op.path === "/spec/imagePullSecrets/-")
      result.spec.imagePullSecrets?.push(op.value as { name: string });
    else throw new Error(`unexpected path ${op.path}`);
  }
  return result.spec.imagePullSecrets ?? [];
}

const spec = (imagePullSecrets?: Array<{ name?: string }> | null) =>
  imagePullSecrets === undefined
    ? { containers: [{ name: "app", image: "example.com/app:1" }] }
    : { containers: [{ name: "app", image: "example.com/app:1" }], imagePullSecrets };

describe("mutatePod", () => {
  const cases: Array<{
    name: string;
    pod: PodLike;
    secrets: string[];
    patch: JsonPatchOperation[];
    after?: Array<{ name?: string }>;
  }> = [
    {
      name: "creates the array when it is absent",
      pod: { spec: spec() },
      secrets: ["ecr-pull"],
      patch: [{ op: "add", path: "/spec/imagePullSecrets", value: [{ name: "ecr-pull" }] }],
      after: [{ name: "ecr-pull" }],
    },
    {
      name: "creates the array when it is null",
      pod: { spec: spec(null) },
      secrets: ["ecr-pull"],
      patch: [{ op: "add", path: "/spec/imagePullSecrets", value: [{ name: "ecr-pull" }] }],
    },
    {
      name: "appends after foreign entries, keeping their order",
      pod: { spec: spec([{ name: "zeta" }, { name: "alpha" }]) },
      secrets: ["ecr-pull"],
      patch: [{ op: "add", path: "/spec/imagePullSecrets/-", value: { name: "ecr-pull" } }],
      after: [{ name: "zeta" }, { name: "alpha" }, { name: "ecr-pull" }],
    },
    {
      name: "appends to an empty array",
      pod: { spec: spec([]) },
      secrets: ["a"],
      patch: [{ op: "add", path: "/spec/imagePullSecrets/-", value: { name: "a" } }],
    },
    {
      name: "returns [] when the secret is already present",
      pod: { spec: spec([{ name: "foreign" }, { name: "ecr-pull" }]) },
      secrets: ["ecr-pull"],
      patch: [],
    },
    {
      name: "adds only the missing names of several, once each, in the given order",
      pod: { spec: spec([{ name: "b" }]) },
      secrets: ["c", "b", "a", "c", ""],
      patch: [
        { op: "add", path: "/spec/imagePullSecrets/-", value: { name: "c" } },
        { op: "add", path: "/spec/imagePullSecrets/-", value: { name: "a" } },
      ],
      after: [{ name: "b" }, { name: "c" }, { name: "a" }],
    },
    {
      name: "several names into a missing array",
      pod: { spec: spec() },
      secrets: ["a", "b"],
      patch: [{ op: "add", path: "/spec/imagePullSecrets", value: [{ name: "a" }, { name: "b" }] }],
    },
    {
      name: "returns [] with nothing to add",
      pod: { spec: spec() },
      secrets: [],
      patch: [],
    },
    {
      name: 'skips pods annotated regcred.dev/inject: "false"',
      pod: { metadata: { annotations: { "regcred.dev/inject": "false" } }, spec: spec() },
      secrets: ["ecr-pull"],
      patch: [],
    },
    {
      name: "injects when the annotation has another value",
      pod: { metadata: { annotations: { "regcred.dev/inject": "true" } }, spec: spec() },
      secrets: ["ecr-pull"],
      patch: [{ op: "add", path: "/spec/imagePullSecrets", value: [{ name: "ecr-pull" }] }],
    },
    { name: "leaves a pod without spec alone", pod: {}, secrets: ["a"], patch: [] },
    {
      name: "leaves a malformed imagePullSecrets alone",
      pod: { spec: { imagePullSecrets: "nope" } } as unknown as PodLike,
      secrets: ["a"],
      patch: [],
    },
  ];

  it.each(cases)("$name", ({ pod, secrets, patch, after }) => {
    const before = structuredClone(pod);
    const result = mutatePod(pod, secrets);
    expect(result).toEqual(patch);
    expect(pod).toEqual(before);
    if (after) expect(apply(pod, result)).toEqual(after);
  });

  it("is idempotent: patching and calling again adds nothing", () => {
    const pod: PodLike = { spec: spec([{ name: "foreign" }]) };
    const patched = { spec: { ...pod.spec, imagePullSecrets: apply(pod, mutatePod(pod, ["a", "b"])) } };
    expect(mutatePod(patched, ["a", "b"])).toEqual([]);
  });
});
