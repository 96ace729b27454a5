import type { V1OwnerReference } from "@kubernetes/client-node";

/**
 * `current` with `owner` in it, replacing any reference to the same kind and name (an owner
 * recreated with a new uid); `current` itself (the same array) when it already holds the owner's
 * uid, so callers can tell "unchanged" by identity.
 */
export function withOwnerReference(
  current: V1OwnerReference[] | undefined,
  owner: V1OwnerReference,
): V1OwnerReference[] | undefined {
  if (current?.some((r) => r.uid === owner.uid)) return current;
  const others = (current ?? []).filter((r) => !(r.kind === owner.kind && r.name === owner.name));
  return [...others, owner];
}
