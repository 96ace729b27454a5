import { createHash } from "node:crypto";
import { rotateAnnotation } from "../../api/v1alpha1.js";
import type { CredentialResource } from "./credential-kind.js";

/** The reason of the event a carried-out rotation records. */
export const rotatedReason = "Rotated";

/** Annotation values up to this length are recorded in status as they are; longer ones by digest. */
const maxRecordedLength = 256;

/** How status.lastRotation records the annotation value `value`. */
function rotationMark(value: string): string {
  return value.length <= maxRecordedLength
    ? value
    : `sha256:${createHash("sha256").update(value).digest("hex")}`;
}

/**
 * The rotation the resource asks for and has not had: the mark of its regcred.dev/rotate value when
 * that differs from status.lastRotation.value; undefined when the annotation is absent or empty, or
 * that value was handled already (so a restart or resync never rotates twice).
 */
export function pendingRotation(resource: CredentialResource): string | undefined {
  const value = resource.metadata.annotations?.[rotateAnnotation];
  if (!value) return undefined;
  const mark = rotationMark(value);
  return mark === resource.status?.lastRotation?.value ? undefined : mark;
}

/**
 * When the operator first saw each resource's pending rotation (the informer event, not the later
 * sync): logins minted since then carry the rotation out, so resources of one identity rotated
 * together share one fresh mint, while a rotation asked for after the identity's last mint gets a
 * mint of its own. Holds one entry per resource; forget() drops it with the resource.
 */
export class RotationRequests {
  private readonly seen = new Map<string, { mark: string; at: Date }>();

  /** Records the resource's pending rotation `mark` as seen at `now`, unless it was seen before. */
  observe(id: string, mark: string | undefined, now: Date): void {
    if (mark === undefined || this.seen.get(id)?.mark === mark) return;
    this.seen.set(id, { mark, at: now });
  }

  /** When rotation `mark` of `id` was first seen; `now` (recorded) when it was not seen before. */
  askedAt(id: string, mark: string, now: Date): Date {
    this.observe(id, mark, now);
    return (this.seen.get(id) as { at: Date }).at;
  }

  forget(id: string): void {
    this.seen.delete(id);
  }
}
