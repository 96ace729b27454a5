import type { V1Secret } from "@kubernetes/client-node";
import {
  annotations,
  controllerReference,
  managedByLabel,
  managedByValue,
  ownerKey,
  type SecretOwner,
} from "./ownership.js";

export const dockerConfigKey = ".dockerconfigjson";
const operatorAnnotations = new Set<string>(Object.values(annotations));
/** @internal exported for its tests */
export const dockerConfigType = "kubernetes.io/dockerconfigjson";

export interface DesiredSecretInput {
  owner: SecretOwner;
  namespace: string;
  name: string;
  dockerConfigJson: string;
  /** Earliest expiry of the logins in dockerConfigJson, when known. */
  expiresAt?: Date;
  refreshedAt: Date;
  /** The operator's signature for this owner, namespace and name (secretSignature). */
  signature: string;
  extraLabels?: Record<string, string>;
  extraAnnotations?: Record<string, string>;
  /** Set a controller ownerReference so the garbage collector deletes the Secret with its owner. */
  ownerReference: boolean;
}

/** The Secret as this operator wants it. Its own marks win over same-named extra labels or annotations. */
export function desiredSecret(input: DesiredSecretInput): V1Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: dockerConfigType,
    metadata: {
      name: input.name,
      namespace: input.namespace,
      labels: { ...input.extraLabels, [managedByLabel]: managedByValue },
      annotations: {
        ...input.extraAnnotations,
        [annotations.owner]: ownerKey(input.owner),
        [annotations.ownerUid]: input.owner.uid,
        [annotations.refreshedAt]: input.refreshedAt.toISOString(),
        [annotations.signature]: input.signature,
        [annotations.templateKeys]: JSON.stringify({
          labels: Object.keys(input.extraLabels ?? {})
            .filter((key) => key !== managedByLabel)
            .sort(),
          annotations: Object.keys(input.extraAnnotations ?? {})
            .filter((key) => !operatorAnnotations.has(key))
            .sort(),
        }),
        ...(input.expiresAt ? { [annotations.expiresAt]: input.expiresAt.toISOString() } : {}),
      },
      ...(input.ownerReference &&
      (input.owner.namespace === undefined || input.owner.namespace === input.namespace)
        ? { ownerReferences: [controllerReference(input.owner)] }
        : {}),
    },
    data: { [dockerConfigKey]: Buffer.from(input.dockerConfigJson).toString("base64") },
  };
}
