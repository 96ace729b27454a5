import { describe, expect, it } from "@jest/globals";
import {
  type DesiredSecretInput,
  desiredSecret,
  dockerConfigKey,
  dockerConfigType,
} from "../../../src/secrets/desired-secret.js";
import {
  annotations,
  isOwnedBy,
  managedByLabel,
  managedByValue,
  type SecretOwner,
} from "../../../src/secrets/ownership.js";

const owner: SecretOwner = {
  apiVersion: "regcred.dev/v1alpha1",
  kind: "RegistryCredential",
  name: "pull",
  namespace: "team-a",
  uid: "owner-uid-1",
};

const dockerConfigJson = '{"auths":{"gcr.io":{"username":"u","password":"fake","auth":"dTpmYWtl"}}}';
const refreshedAt = new Date("2030-01-01T00:00:00.000Z");
const expiresAt = new Date("2030-01-01T12:00:00.000Z");

function input(overrides: Partial<DesiredSecretInput> = {}): DesiredSecretInput {
  return {
    owner,
    namespace: "team-a",
    name: "pull-secret",
    dockerConfigJson,
    refreshedAt,
    expiresAt,
    signature: "signature-of-the-operator",
    ownerReference: true,
    ...overrides,
  };
}

describe("desiredSecret", () => {
  it("builds a dockerconfigjson Secret with the operator's marks", () => {
    expect(desiredSecret(input())).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/dockerconfigjson",
      metadata: {
        name: "pull-secret",
        namespace: "team-a",
        labels: { "app.kubernetes.io/managed-by": "registry-credential-operator" },
        annotations: {
          "regcred.dev/owner": "RegistryCredential/team-a/pull",
          "regcred.dev/owner-uid": "owner-uid-1",
          "regcred.dev/refreshed-at": "2030-01-01T00:00:00.000Z",
          "regcred.dev/signature": "signature-of-the-operator",
          "regcred.dev/template-keys": '{"labels":[],"annotations":[]}',
          "regcred.dev/expires-at": "2030-01-01T12:00:00.000Z",
        },
        ownerReferences: [
          {
            apiVersion: "regcred.dev/v1alpha1",
            kind: "RegistryCredential",
            name: "pull",
            uid: "owner-uid-1",
            controller: true,
            blockOwnerDeletion: false,
          },
        ],
      },
      data: { ".dockerconfigjson": Buffer.from(dockerConfigJson).toString("base64") },
    });
  });

  it("stores the document base64-encoded under .dockerconfigjson", () => {
    const secret = desiredSecret(input());
    expect(secret.type).toBe(dockerConfigType);
    expect(Buffer.from(secret.data?.[dockerConfigKey] ?? "", "base64").toString("utf8")).toBe(
      dockerConfigJson,
    );
  });

  it("omits the expires-at annotation when the expiry is unknown", () => {
    const secret = desiredSecret(input({ expiresAt: undefined }));
    expect(secret.metadata?.annotations).not.toHaveProperty([annotations.expiresAt]);
    expect(secret.metadata?.annotations?.[annotations.refreshedAt]).toBe(refreshedAt.toISOString());
  });

  const clusterOwner: SecretOwner = { ...owner, kind: "ClusterRegistryCredential", namespace: undefined };

  it.each<[string, boolean, Partial<DesiredSecretInput>]>([
    ["a namespaced owner requesting it in its own namespace", true, { ownerReference: true }],
    ["a namespaced owner not requesting it", false, { ownerReference: false }],
    [
      "a namespaced owner requesting it for a Secret in another namespace",
      false,
      { ownerReference: true, namespace: "team-b" },
    ],
    ["a cluster-scoped owner requesting it", true, { ownerReference: true, owner: clusterOwner }],
    ["a cluster-scoped owner not requesting it", false, { ownerReference: false, owner: clusterOwner }],
  ])("for %s, sets an ownerReference: %p", (_name, expected, overrides) => {
    const secret = desiredSecret(input(overrides));
    expect(secret.metadata?.ownerReferences).toEqual(
      expected ? [expect.objectContaining({ uid: "owner-uid-1", controller: true })] : undefined,
    );
  });

  it("adds extra labels and annotations, but the operator's marks win over same-named extras", () => {
    const secret = desiredSecret(
      input({
        extraLabels: { team: "a", [managedByLabel]: "someone-else" },
        extraAnnotations: {
          note: "kept",
          [annotations.owner]: "RegistryCredential/evil/other",
          [annotations.ownerUid]: "forged-uid",
          [annotations.refreshedAt]: "1999-01-01T00:00:00Z",
          [annotations.expiresAt]: "1999-01-01T00:00:00Z",
        },
      }),
    );
    expect(secret.metadata?.labels).toEqual({ team: "a", [managedByLabel]: managedByValue });
    expect(secret.metadata?.annotations).toEqual({
      note: "kept",
      [annotations.owner]: "RegistryCredential/team-a/pull",
      [annotations.ownerUid]: "owner-uid-1",
      [annotations.refreshedAt]: refreshedAt.toISOString(),
      [annotations.signature]: "signature-of-the-operator",
      [annotations.templateKeys]: '{"labels":["team"],"annotations":["note"]}',
      [annotations.expiresAt]: expiresAt.toISOString(),
    });
  });

  it("is recognised as owned by its owner and no other", () => {
    const secret = desiredSecret(input());
    expect(isOwnedBy(secret, owner)).toBe(true);
    expect(isOwnedBy(secret, { ...owner, uid: "other-uid" })).toBe(false);
  });
});
