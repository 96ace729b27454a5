import type { V1ObjectMeta, V1OwnerReference, V1Secret } from "@kubernetes/client-node";

export const managedByLabel = "app.kubernetes.io/managed-by";
export const managedByValue = "registry-credential-operator";
/** Label selector matching every Secret (and admission policy) this operator writes; its informers watch only these. */
export const managedObjectSelector = `${managedByLabel}=${managedByValue}`;

export const annotations = {
  owner: "regcred.dev/owner",
  ownerUid: "regcred.dev/owner-uid",
  expiresAt: "regcred.dev/expires-at",
  refreshedAt: "regcred.dev/refreshed-at",
  /** A keyed digest proving the operator wrote this Secret at this name for this owner (signature.ts). */
  signature: "regcred.dev/signature",
  /** The spec.secret label and annotation keys the operator set, so that removing one from the spec removes it here. */
  templateKeys: "regcred.dev/template-keys",
} as const;

/** The resource a managed Secret belongs to. */
export interface SecretOwner {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid: string;
}

/** "Kind/namespace/name" or "Kind/name", as written in the owner annotation. */
export function ownerKey(owner: Pick<SecretOwner, "kind" | "name" | "namespace">): string {
  return owner.namespace ? `${owner.kind}/${owner.namespace}/${owner.name}` : `${owner.kind}/${owner.name}`;
}

/** The owner an owner key names (the inverse of ownerKey); undefined for anything else. */
export function parseOwnerKey(
  key: string | undefined,
): Pick<SecretOwner, "kind" | "name" | "namespace"> | undefined {
  const parts = (key ?? "").split("/");
  if (parts.some((part) => part === "")) return undefined;
  if (parts.length === 2) return { kind: parts[0] as string, name: parts[1] as string };
  if (parts.length === 3)
    return { kind: parts[0] as string, namespace: parts[1] as string, name: parts[2] as string };
  return undefined;
}

/** True when the Secret carries this operator's marks for exactly this owner (matched by uid). */
export function isOwnedBy(secret: V1Secret, owner: SecretOwner): boolean {
  const meta = secret.metadata;
  return (
    meta?.labels?.[managedByLabel] === managedByValue &&
    meta.annotations?.[annotations.ownerUid] === owner.uid
  );
}

/** The controller ownerReference that lets the garbage collector delete the Secret with its owner. */
export function controllerReference(owner: SecretOwner): V1OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.name,
    uid: owner.uid,
    controller: true,
    blockOwnerDeletion: false,
  };
}

/**
 * The Secret's metadata with every mark of this operator removed (labels, annotations and the
 * owner's ownerReference), for the Retain deletion policy. Other labels and annotations stay.
 */
export function withoutOwnershipMarks(meta: V1ObjectMeta, owner: SecretOwner): V1ObjectMeta {
  const labels = { ...meta.labels };
  delete labels[managedByLabel];
  const kept = { ...meta.annotations };
  for (const key of Object.values(annotations)) delete kept[key];
  return {
    ...meta,
    labels,
    annotations: kept,
    ownerReferences: (meta.ownerReferences ?? []).filter((ref) => ref.uid !== owner.uid),
  };
}
