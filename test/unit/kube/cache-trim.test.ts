import { describe, expect, it } from "@jest/globals";
import type { V1ManagedFieldsEntry, V1Namespace, V1Secret, V1ServiceAccount } from "@kubernetes/client-node";
import {
  StringPool,
  secretTrim,
  trimNamespace,
  trimServiceAccount,
  withoutManagedFields,
} from "../../../src/kube/cache-trim.js";

const managedFields: V1ManagedFieldsEntry[] = [
  { manager: "kubectl", operation: "Update", fieldsType: "FieldsV1", fieldsV1: { "f:metadata": {} } },
];

/** Metadata as the apiserver sends it, with `extra` on top. */
const meta = (extra: object = {}) => ({
  name: "team-a",
  uid: "u-1",
  resourceVersion: "42",
  creationTimestamp: new Date("2026-01-01T00:00:00Z"),
  annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" },
  managedFields,
  ...extra,
});

describe("trimNamespace", () => {
  it.each<[string, V1Namespace, ReturnType<typeof trimNamespace>]>([
    [
      "keeps name, uid, labels and resourceVersion and drops annotations, timestamps and managedFields",
      { metadata: meta({ labels: { team: "a" } }), spec: { finalizers: ["kubernetes"] }, status: {} },
      { metadata: { name: "team-a", uid: "u-1", resourceVersion: "42", labels: { team: "a" } } },
    ],
    [
      "keeps the deletion timestamp and the Terminating phase",
      {
        metadata: meta({ deletionTimestamp: new Date("2026-02-01T00:00:00Z") }),
        status: {
          phase: "Terminating",
          conditions: [{ type: "NamespaceDeletionContentFailure", status: "True" }],
        },
      },
      {
        metadata: {
          name: "team-a",
          uid: "u-1",
          resourceVersion: "42",
          deletionTimestamp: new Date("2026-02-01T00:00:00Z"),
        },
        status: { phase: "Terminating" },
      },
    ],
  ])("%s", (_case, namespace, expected) => {
    expect(trimNamespace(namespace)).toEqual(expected);
  });
});

describe("trimServiceAccount", () => {
  it.each<[string, V1ServiceAccount, V1ServiceAccount]>([
    [
      "keeps the metadata without managedFields, and imagePullSecrets; drops token Secrets and automount",
      {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: meta({ namespace: "team-a", labels: { app: "x" } }),
        imagePullSecrets: [{ name: "pull" }],
        secrets: [{ name: "token-abc" }],
        automountServiceAccountToken: false,
      },
      {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { ...meta({ namespace: "team-a", labels: { app: "x" } }), managedFields: undefined },
        imagePullSecrets: [{ name: "pull" }],
      },
    ],
    [
      "leaves imagePullSecrets out when the account has none (as a listed account arrives)",
      { metadata: meta({ namespace: "team-a" }) },
      { metadata: { ...meta({ namespace: "team-a" }), managedFields: undefined } },
    ],
  ])("%s", (_case, account, expected) => {
    const trimmed = trimServiceAccount(account);
    expect(trimmed).toEqual(expected);
    expect(trimmed.metadata).not.toHaveProperty("managedFields");
  });
});

describe("withoutManagedFields", () => {
  it("drops managedFields and keeps every other field, leaving the object it was given unchanged", () => {
    const pod = {
      metadata: meta({ namespace: "team-a" }),
      spec: { containers: [] },
      status: { phase: "Pending" },
    };
    const trimmed = withoutManagedFields(pod);
    expect(trimmed.metadata).not.toHaveProperty("managedFields");
    expect(trimmed).toEqual({ ...pod, metadata: { ...pod.metadata, managedFields: undefined } });
    expect(pod.metadata.managedFields).toBe(managedFields);
  });

  it("returns an object without managedFields as it is", () => {
    const object = { metadata: { name: "x" } };
    expect(withoutManagedFields(object)).toBe(object);
  });
});

describe("secretTrim", () => {
  const secret = (config: string): V1Secret => ({
    metadata: meta({ namespace: "team-a", labels: { "app.kubernetes.io/managed-by": "rco" } }),
    type: "kubernetes.io/dockerconfigjson",
    // A copy per Secret, as JSON.parse makes one per object.
    data: { ".dockerconfigjson": `${config}`.split("").join("") },
  });

  it("keeps everything the writes read (type, data, labels, annotations) and drops managedFields", () => {
    const trimmed = secretTrim(new StringPool(4))(secret("eyJhdXRocyI6e319"));
    expect(trimmed).toEqual({
      ...secret("eyJhdXRocyI6e319"),
      metadata: { ...secret("x").metadata, managedFields: undefined },
    });
    expect(trimmed.metadata).not.toHaveProperty("managedFields");
  });

  it.each<[string, number, string[], string[]]>([
    ["holds each distinct value once", 4, ["a", "a", "b"], ["a", "b"]],
    [
      "keeps the most recently used values when more are seen than it holds",
      2,
      ["a", "b", "a", "c"],
      ["a", "c"],
    ],
    ["forgets the least recently used value first", 2, ["a", "b", "c"], ["b", "c"]],
  ])("%s", (_case, capacity, values, held) => {
    const pool = new StringPool(capacity);
    for (const value of values) expect(pool.intern(value)).toBe(value);
    expect(["a", "b", "c"].filter((value) => pool.holds(value))).toEqual(held);
  });
});
