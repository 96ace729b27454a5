import type { V1Secret } from "@kubernetes/client-node";
import type { OperatorKey } from "../security/operator-key.js";
import { annotations, type SecretOwner } from "./ownership.js";

/**
 * The signature annotation value for the Secret `namespace/name` written for `owner`: a keyed
 * digest only the operator can compute. Copying it to another name, namespace or owner breaks it.
 */
export function secretSignature(
  key: OperatorKey,
  owner: SecretOwner,
  namespace: string,
  name: string,
): string {
  return key.digest("secret", [owner.uid, namespace, name]);
}

/**
 * True when the Secret carries this operator's signature for `owner` at its own namespace and name:
 * proof that the operator wrote it there, which marks alone (a label and an annotation anyone can
 * set) are not. Destructive cleanup acts only on signed Secrets.
 */
export function isSignedFor(secret: V1Secret, owner: SecretOwner, key: OperatorKey): boolean {
  const { namespace, name } = secret.metadata ?? {};
  if (!namespace || !name) return false;
  return key.verify(
    "secret",
    [owner.uid, namespace, name],
    secret.metadata?.annotations?.[annotations.signature],
  );
}
