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
