import type { CustomObjectsApi } from "@kubernetes/client-node";
import type { RegistryCredentialStatus } from "../api/v1alpha1.js";
import { mergePatchObject, type ObjectRef } from "./custom-objects.js";

const statusFields: (keyof RegistryCredentialStatus)[] = [
  "observedGeneration",
  "conditions",
  "sources",
  "expiresAt",
  "lastRefreshTime",
  "nextRefreshTime",
  "secretName",
];

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** True when both statuses say the same thing (field order aside). */
export function sameStatus(a: RegistryCredentialStatus | undefined, b: RegistryCredentialStatus): boolean {
  return statusFields.every((field) => canonical(a?.[field] ?? null) === canonical(b[field] ?? null));
}

/**
 * Writes `next` to the status subresource unless it equals `current`. Fields absent from `next`
 * are removed. Returns whether it wrote. Throws ApiException on failure.
 */
export async function writeStatus(
  objects: CustomObjectsApi,
  ref: ObjectRef,
  current: RegistryCredentialStatus | undefined,
  next: RegistryCredentialStatus,
): Promise<boolean> {
  if (sameStatus(current, next)) return false;
  const body = Object.fromEntries(statusFields.map((field) => [field, next[field] ?? null]));
  await mergePatchObject(objects, ref, { status: body }, "status");
  return true;
}
