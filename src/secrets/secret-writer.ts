import type { V1OwnerReference, V1Secret } from "@kubernetes/client-node";
import { statusCode, unlessNotFound } from "../kube/errors.js";
import type { SecretApi } from "../kube/ports.js";
import type { OperatorKey } from "../security/operator-key.js";
import { errorText } from "../util/error-text.js";
import { annotations, isOwnedBy, type SecretOwner, withoutOwnershipMarks } from "./ownership.js";
import { isSignedFor } from "./signature.js";

export type WriteOutcome =
  | { kind: "created" | "updated" | "unchanged"; secret: V1Secret }
  /** The name is taken by a Secret of someone else; nothing was written. */
  | { kind: "conflict"; message: string }
  /** The apiserver refused the Secret as invalid (422), e.g. annotations over its size limit. */
  | { kind: "rejected"; message: string };

function sameRecord(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const left = a ?? {};
  const right = b ?? {};
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  for (const key of keys) if (left[key] !== right[key]) return false;
  return true;
}

/**
 * The ownerReferences to write: everyone else's as they are, plus the desired ones (this operator's
 * reference is present exactly when `desired` carries it).
 */
function mergedOwnerReferences(current: V1Secret, desired: V1Secret) {
  const ours = new Set(
    [current, desired].flatMap((s) => s.metadata?.annotations?.[annotations.ownerUid] ?? []),
  );
  const wanted = desired.metadata?.ownerReferences ?? [];
  const others = (current.metadata?.ownerReferences ?? []).filter(
    (ref) => !ours.has(ref.uid) && !wanted.some((w) => w.uid === ref.uid),
  );
  return [...others, ...wanted];
}

/** The spec.secret keys the operator set on a Secret earlier (none when it recorded none). */
function templateKeysOf(secret: V1Secret): { labels: string[]; annotations: string[] } {
  try {
    const parsed = JSON.parse(secret.metadata?.annotations?.[annotations.templateKeys] ?? "{}") as {
      labels?: unknown;
      annotations?: unknown;
    };
    const strings = (value: unknown) =>
      Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
    return { labels: strings(parsed.labels), annotations: strings(parsed.annotations) };
  } catch {
    return { labels: [], annotations: [] };
  }
}

/**
 * True when every field the operator sets already has the desired value in `current`.
 * @internal exported for its tests
 */
export function hasDesiredContent(current: V1Secret, desired: V1Secret): boolean {
  const cur = current.metadata ?? {};
  const want = desired.metadata ?? {};
  const subset = (have: Record<string, string> | undefined, need: Record<string, string> | undefined) =>
    Object.entries(need ?? {}).every(([k, v]) => have?.[k] === v);
  const uids = (refs: V1OwnerReference[] | undefined) =>
    JSON.stringify((refs ?? []).map((r) => r.uid).sort());
  const expiry = (secret: V1Secret) => secret.metadata?.annotations?.[annotations.expiresAt];
  return (
    current.type === desired.type &&
    sameRecord(current.data, desired.data) &&
    subset(cur.labels, want.labels) &&
    subset(cur.annotations, want.annotations) &&
    expiry(current) === expiry(desired) &&
    uids(current.metadata?.ownerReferences) === uids(mergedOwnerReferences(current, desired))
  );
}

/** Why a Secret of someone else at the owner's name was left untouched. */
export function conflictMessage(secret: V1Secret, owner: SecretOwner): string {
  const name = `${secret.metadata?.namespace}/${secret.metadata?.name}`;
  const claimedBy = secret.metadata?.annotations?.[annotations.owner];
  return claimedBy
    ? `Secret ${name} is managed by ${claimedBy}, not by this ${owner.kind}; it was left untouched`
    : `Secret ${name} already exists and was not created by this operator; it was left untouched. Delete it or set spec.secret.name to another name`;
}

/**
 * Makes the Secret hold the desired content, writing only when something differs.
 * - `cached` is what the informer holds for the name (undefined when it holds nothing).
 * - A Secret that exists but is not owned by `owner` is never modified: the outcome is "conflict".
 * - Updates carry the observed resourceVersion, so a concurrent change makes the write fail (409)
 *   instead of overwriting it; that error is thrown for the caller to retry.
 * - A Secret the apiserver refuses as invalid (422) is the outcome "rejected", with its message:
 *   retrying cannot help until the spec changes.
 * Throws ApiException for other API failures, except the AlreadyExists race it resolves itself.
 */
export async function writeManagedSecret(
  core: SecretApi,
  cached: V1Secret | undefined,
  desired: V1Secret,
  owner: SecretOwner,
): Promise<WriteOutcome> {
  try {
    return await write(core, cached, desired, owner);
  } catch (error) {
    if (statusCode(error) !== 422) throw error;
    const where = `${desired.metadata?.namespace}/${desired.metadata?.name}`;
    return {
      kind: "rejected",
      message: `the apiserver refused Secret ${where} as invalid: ${errorText(error)}`,
    };
  }
}

async function write(
  core: SecretApi,
  cached: V1Secret | undefined,
  desired: V1Secret,
  owner: SecretOwner,
): Promise<WriteOutcome> {
  const namespace = desired.metadata?.namespace as string;
  const name = desired.metadata?.name as string;
  let current = cached;
  if (!current) {
    try {
      return { kind: "created", secret: await core.createNamespacedSecret({ namespace, body: desired }) };
    } catch (error) {
      if (statusCode(error) !== 409) throw error;
      current = await core.readNamespacedSecret({ namespace, name });
    }
  }
  if (!isOwnedBy(current, owner)) return { kind: "conflict", message: conflictMessage(current, owner) };
  if (hasDesiredContent(current, desired)) return { kind: "unchanged", secret: current };

  // Everyone else's labels and annotations stay; those the spec no longer lists go.
  const dropped = templateKeysOf(current);
  const kept = (have: Record<string, string> | undefined, drop: readonly string[]) =>
    Object.fromEntries(Object.entries(have ?? {}).filter(([key]) => !drop.includes(key)));
  const mergedAnnotations = {
    ...kept(current.metadata?.annotations, dropped.annotations),
    ...desired.metadata?.annotations,
  };
  if (!desired.metadata?.annotations?.[annotations.expiresAt])
    delete mergedAnnotations[annotations.expiresAt];
  const merged: V1Secret = {
    ...desired,
    metadata: {
      ...current.metadata,
      labels: { ...kept(current.metadata?.labels, dropped.labels), ...desired.metadata?.labels },
      annotations: mergedAnnotations,
      ownerReferences: mergedOwnerReferences(current, desired),
      resourceVersion: current.metadata?.resourceVersion,
    },
  };
  return { kind: "updated", secret: await core.replaceNamespacedSecret({ namespace, name, body: merged }) };
}

/**
 * Deletes the Secret if, and only if, it is owned by `owner` and carries the operator's signature
 * for it there (marks alone can be forged); the delete is conditioned on the observed uid and
 * resourceVersion so a Secret replaced meanwhile is not deleted. Returns whether it deleted (false
 * when it was already gone or is not provably the owner's).
 */
export async function deleteManagedSecret(
  core: SecretApi,
  namespace: string,
  name: string,
  owner: SecretOwner,
  key: OperatorKey,
): Promise<boolean> {
  const current = await readSecretIfExists(core, namespace, name);
  if (!current || !isOwnedBy(current, owner) || !isSignedFor(current, owner, key)) return false;
  try {
    await core.deleteNamespacedSecret({
      namespace,
      name,
      body: {
        preconditions: { uid: current.metadata?.uid, resourceVersion: current.metadata?.resourceVersion },
      },
    });
  } catch (error) {
    if (statusCode(error) !== 404) throw error;
  }
  return true;
}

/**
 * Removes this operator's marks (label, annotations, ownerReference) from the Secret if it is owned
 * by `owner` and signed for it, leaving its data in place (the Retain deletion policy). Returns
 * whether it changed anything; a Secret already gone, owned by someone else or unsigned is left alone.
 */
export async function releaseManagedSecret(
  core: SecretApi,
  namespace: string,
  name: string,
  owner: SecretOwner,
  key: OperatorKey,
): Promise<boolean> {
  const current = await readSecretIfExists(core, namespace, name);
  if (!current?.metadata || !isOwnedBy(current, owner) || !isSignedFor(current, owner, key)) return false;
  await core.replaceNamespacedSecret({
    namespace,
    name,
    body: { ...current, metadata: withoutOwnershipMarks(current.metadata, owner) },
  });
  return true;
}

/** Reads a Secret live from the apiserver; undefined when it does not exist. Throws other ApiExceptions. */
export async function readSecretIfExists(
  core: SecretApi,
  namespace: string,
  name: string,
): Promise<V1Secret | undefined> {
  return unlessNotFound(core.readNamespacedSecret({ namespace, name }));
}
