// hasDesiredContent only: the functions that call the API are covered by the integration tests.
import { describe, expect, it } from "@jest/globals";
import type { V1OwnerReference, V1Secret } from "@kubernetes/client-node";
import { type DesiredSecretInput, desiredSecret } from "../../../src/secrets/desired-secret.js";
import { annotations, managedByLabel, type SecretOwner } from "../../../src/secrets/ownership.js";
import { hasDesiredContent } from "../../../src/secrets/secret-writer.js";

const owner: SecretOwner = {
  apiVersion: "regcred.dev/v1alpha1",
  kind: "RegistryCredential",
  name: "pull",
  namespace: "team-a",
  uid: "owner-uid-1",
};

function desired(overrides: Partial<DesiredSecretInput> = {}): V1Secret {
  return desiredSecret({
    owner,
    namespace: "team-a",
    name: "pull",
    dockerConfigJson: '{"auths":{"gcr.io":{"username":"u","password":"fake-1","auth":"x"}}}',
    refreshedAt: new Date("2030-01-01T00:00:00.000Z"),
    signature: "signature-of-the-operator",
    expiresAt: new Date("2030-01-01T12:00:00.000Z"),
    extraLabels: { team: "a" },
    ownerReference: true,
    ...overrides,
  });
}

interface Drift {
  type?: string;
  data?: Record<string, string> | undefined;
  labels?: (labels: Record<string, string>) => Record<string, string>;
  annotations?: (annotations: Record<string, string>) => Record<string, string>;
  ownerReferences?: (refs: V1OwnerReference[]) => V1OwnerReference[];
}

/** The desired Secret as the apiserver would return it after writing it, with `drift` applied. */
function current(drift: Drift = {}): V1Secret {
  const secret = structuredClone(desired());
  const meta = secret.metadata ?? {};
  return {
    ...secret,
    ...(drift.type ? { type: drift.type } : {}),
    ...("data" in drift ? { data: drift.data } : {}),
    metadata: {
      ...meta,
      uid: "secret-uid",
      resourceVersion: "7",
      generation: 1,
      labels: drift.labels ? drift.labels({ ...meta.labels }) : meta.labels,
      annotations: drift.annotations ? drift.annotations({ ...meta.annotations }) : meta.annotations,
      ownerReferences: drift.ownerReferences
        ? drift.ownerReferences([...(meta.ownerReferences ?? [])])
        : meta.ownerReferences,
    },
  };
}

const foreignRef: V1OwnerReference = { apiVersion: "v1", kind: "ConfigMap", name: "c", uid: "foreign-uid" };
const withoutKey = (record: Record<string, string>, key: string) =>
  Object.fromEntries(Object.entries(record).filter(([k]) => k !== key));

describe("hasDesiredContent", () => {
  it.each<[string, Drift]>([
    ["identical content plus server-set metadata", {}],
    ["an extra label someone else added", { labels: (l) => ({ ...l, extra: "1" }) }],
    ["an extra annotation someone else added", { annotations: (a) => ({ ...a, "example.com/note": "x" }) }],
  ])("is true for %s", (_name, drift) => {
    expect(hasDesiredContent(current(drift), desired())).toBe(true);
  });

  it.each<[string, Drift]>([
    ["another type", { type: "Opaque" }],
    ["other data", { data: { ".dockerconfigjson": Buffer.from("{}").toString("base64") } }],
    ["an extra data key", { data: { ...desired().data, extra: "eA==" } }],
    ["no data", { data: undefined }],
    ["a missing managed-by label", { labels: (l) => withoutKey(l, managedByLabel) }],
    ["a changed extra label", { labels: (l) => ({ ...l, team: "b" }) }],
    [
      "an owner-uid annotation of another owner",
      { annotations: (a) => ({ ...a, [annotations.ownerUid]: "x" }) },
    ],
    [
      "an older refreshed-at annotation",
      { annotations: (a) => ({ ...a, [annotations.refreshedAt]: "2029-01-01T00:00:00.000Z" }) },
    ],
    ["a missing expires-at annotation", { annotations: (a) => withoutKey(a, annotations.expiresAt) }],
    ["no ownerReference", { ownerReferences: () => [] }],
    ["an ownerReference to another uid instead", { ownerReferences: () => [foreignRef] }],
  ])("is false for %s", (_name, drift) => {
    expect(hasDesiredContent(current(drift), desired())).toBe(false);
  });

  it("is false when the desired Secret drops the ownerReference the current one has", () => {
    expect(hasDesiredContent(current(), desired({ ownerReference: false }))).toBe(false);
  });

  it("is false when new logins were minted", () => {
    const next = desired({
      dockerConfigJson: '{"auths":{"gcr.io":{"username":"u","password":"fake-2","auth":"y"}}}',
    });
    expect(hasDesiredContent(current(), next)).toBe(false);
  });

  it("ignores the order of ownerReferences", () => {
    const want = desired();
    want.metadata = {
      ...want.metadata,
      ownerReferences: [...(want.metadata?.ownerReferences ?? []), foreignRef],
    };
    const have = current({ ownerReferences: (refs) => [foreignRef, ...refs] });
    expect(hasDesiredContent(have, want)).toBe(true);
  });
});
