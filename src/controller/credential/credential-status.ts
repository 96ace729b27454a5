import type { RegistryCredentialStatus } from "../../api/v1alpha1.js";
import type { CredentialObjectsApi } from "../../kube/ports.js";
import { canonicalJson } from "../../util/canonical-json.js";
import { redactSecrets } from "../../util/redact.js";
import { mergePatchObject, type ObjectRef } from "./custom-objects.js";

type Status = Record<string, unknown>;

/** True when both statuses say the same thing (field order and absent-vs-undefined aside). */
function sameStatus<S extends RegistryCredentialStatus>(current: S | undefined, next: S): boolean {
  const a = current as Status | undefined;
  const b = next as Status;
  const keys = new Set([...Object.keys(a ?? {}), ...Object.keys(b)]);
  return [...keys].every((key) => canonicalJson(a?.[key] ?? null) === canonicalJson(b[key] ?? null));
}

/** The status with every human-readable message (conditions, namespace failures) redacted. */
function redactMessages<S extends RegistryCredentialStatus>(status: S): S {
  const failures = (status as { failures?: { message: string }[] }).failures;
  return {
    ...status,
    ...(status.conditions
      ? { conditions: status.conditions.map((c) => ({ ...c, message: redactSecrets(c.message) })) }
      : {}),
    ...(failures ? { failures: failures.map((f) => ({ ...f, message: redactSecrets(f.message) })) } : {}),
  };
}

/**
 * Writes `next` (its messages redacted) to the status subresource unless it equals `current`. Fields of `current` absent
 * from `next` are removed. Returns whether it wrote. Throws ApiException on failure.
 */
export async function writeStatus<S extends RegistryCredentialStatus>(
  objects: CredentialObjectsApi,
  ref: ObjectRef,
  current: S | undefined,
  wanted: S,
): Promise<boolean> {
  const next = redactMessages(wanted);
  if (sameStatus(current, next)) return false;
  const keys = new Set([...Object.keys(current ?? {}), ...Object.keys(next)]);
  const body = Object.fromEntries([...keys].map((key) => [key, (next as Status)[key] ?? null]));
  await mergePatchObject(objects, ref, { status: body }, "status");
  return true;
}
