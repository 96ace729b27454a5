import { describe, expect, it } from "@jest/globals";
import type { V1ObjectMeta, V1Secret } from "@kubernetes/client-node";
import {
  annotations,
  controllerReference,
  isOwnedBy,
  managedByLabel,
  managedByValue,
  managedObjectSelector,
  ownerKey,
  type SecretOwner,
  withoutOwnershipMarks,
} from "../../../src/secrets/ownership.js";

function owner(overrides: Partial<SecretOwner> = {}): SecretOwner {
  return {
    apiVersion: "regcred.dev/v1alpha1",
    kind: "RegistryCredential",
    name: "pull",
    namespace: "team-a",
    uid: "0000-owner-uid",
    ...overrides,
  };
}

function secretWith(labels?: Record<string, string>, ann?: Record<string, string>): V1Secret {
  return { metadata: { name: "pull", namespace: "team-a", labels, annotations: ann } };
}

const marked = { [managedByLabel]: managedByValue };

describe("ownerKey", () => {
  it.each<[string, SecretOwner, string]>([
    ["a namespaced owner", owner(), "RegistryCredential/team-a/pull"],
    ["a cluster-scoped owner", owner({ namespace: undefined }), "RegistryCredential/pull"],
  ])("names %s as %p", (_name, o, key) => {
    expect(ownerKey(o)).toBe(key);
  });
});

describe("isOwnedBy", () => {
  it.each<[string, V1Secret, boolean]>([
    [
      "carries the label and the owner's uid",
      secretWith(marked, { [annotations.ownerUid]: owner().uid }),
      true,
    ],
    [
      "carries the owner's uid, the label and unrelated marks",
      secretWith({ ...marked, team: "a" }, { [annotations.ownerUid]: owner().uid, note: "x" }),
      true,
    ],
    [
      "carries the label and another owner's uid (a recreated resource of the same name)",
      secretWith(marked, { [annotations.ownerUid]: "another-uid", [annotations.owner]: ownerKey(owner()) }),
      false,
    ],
    [
      "carries the owner's uid but not the label",
      secretWith({}, { [annotations.ownerUid]: owner().uid }),
      false,
    ],
    [
      "carries another manager's label value",
      secretWith({ [managedByLabel]: "helm" }, { [annotations.ownerUid]: owner().uid }),
      false,
    ],
    ["carries the label but no owner uid", secretWith(marked, {}), false],
    ["has no metadata at all", {}, false],
  ])("is %p for a Secret that %s", (_name, secret, expected) => {
    expect(isOwnedBy(secret, owner())).toBe(expected);
  });
});

describe("controllerReference", () => {
  it("points at the owner as its controller without blocking the owner's deletion", () => {
    expect(controllerReference(owner())).toEqual({
      apiVersion: "regcred.dev/v1alpha1",
      kind: "RegistryCredential",
      name: "pull",
      uid: "0000-owner-uid",
      controller: true,
      blockOwnerDeletion: false,
    });
  });
});

describe("managedObjectSelector", () => {
  it("selects the managed-by label", () => {
    expect(managedObjectSelector).toBe("app.kubernetes.io/managed-by=registry-credential-operator");
  });
});

describe("withoutOwnershipMarks", () => {
  const foreignRef = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    name: "web",
    uid: "deployment-uid",
  };
  const meta: V1ObjectMeta = {
    name: "pull",
    namespace: "team-a",
    resourceVersion: "42",
    uid: "secret-uid",
    labels: { ...marked, team: "a" },
    annotations: {
      [annotations.owner]: ownerKey(owner()),
      [annotations.ownerUid]: owner().uid,
      [annotations.refreshedAt]: "2030-01-01T00:00:00.000Z",
      [annotations.expiresAt]: "2030-01-01T12:00:00.000Z",
      "example.com/keep": "yes",
    },
    ownerReferences: [controllerReference(owner()), foreignRef],
  };

  it("removes the operator's label, annotations and ownerReference and keeps everything else", () => {
    expect(withoutOwnershipMarks(meta, owner())).toEqual({
      name: "pull",
      namespace: "team-a",
      resourceVersion: "42",
      uid: "secret-uid",
      labels: { team: "a" },
      annotations: { "example.com/keep": "yes" },
      ownerReferences: [foreignRef],
    });
  });

  it("keeps an ownerReference to a different owner of the same kind", () => {
    const other = controllerReference(owner({ uid: "other-uid" }));
    const result = withoutOwnershipMarks({ ...meta, ownerReferences: [other] }, owner());
    expect(result.ownerReferences).toEqual([other]);
  });

  it("handles metadata without labels, annotations or ownerReferences", () => {
    expect(withoutOwnershipMarks({ name: "pull" }, owner())).toEqual({
      name: "pull",
      labels: {},
      annotations: {},
      ownerReferences: [],
    });
  });

  it("does not modify its input", () => {
    const snapshot = structuredClone(meta);
    withoutOwnershipMarks(meta, owner());
    expect(meta).toEqual(snapshot);
  });

  it("leaves a Secret that isOwnedBy no longer recognises", () => {
    expect(isOwnedBy({ metadata: withoutOwnershipMarks(meta, owner()) }, owner())).toBe(false);
  });
});
