// Reads the credentials JSON a GarSecretReference points at and tells its kinds apart.
import { CredentialError } from "../errors.js";
import type { ReferencedSecret } from "../provider.js";

export const defaultCredentialsKey = "credentials.json";

/** A parsed credentials JSON object of a type the provider accepts. */
export type CredentialsJson =
  | { type: "service_account"; json: Record<string, unknown> }
  | { type: "external_account"; json: Record<string, unknown> };

/** Types Google's tooling writes that the provider deliberately refuses, with the reason. */
const refusedTypes: Record<string, string> = {
  authorized_user: "holds end-user credentials (type authorized_user), which the operator does not accept",
  external_account_authorized_user:
    "holds workforce user credentials (type external_account_authorized_user), which the operator does not accept",
  impersonated_service_account:
    "holds an impersonated_service_account configuration; put its source credentials in the Secret and set spec impersonate instead",
};

const acceptedTypes =
  'expected "service_account" (a service-account key) or "external_account" (a workload identity federation configuration)';

/**
 * The credentials JSON under `key` of a Secret. `where` names the Secret for messages, e.g.
 * "Secret tenant-a/gcp-key". Throws InvalidSpec when the key is missing or empty, the value is not
 * a JSON object, or its `type` is not one the provider accepts. Messages never quote the value.
 */
export function readCredentialsJson(secret: ReferencedSecret, where: string, key: string): CredentialsJson {
  const value = secret.data[key];
  if (value === undefined) {
    const keys = Object.keys(secret.data).sort();
    const present = keys.length > 0 ? `it has ${keys.map((k) => `"${k}"`).join(", ")}` : "it has no keys";
    throw new CredentialError(
      "InvalidSpec",
      `${where} has no key "${key}" (${present}); set auth.secretRef.key to the key holding the Google credentials JSON`,
    );
  }
  if (value.length === 0) throw new CredentialError("InvalidSpec", `${where} key "${key}" is empty`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString("utf8"));
  } catch {
    throw new CredentialError("InvalidSpec", `${where} key "${key}" does not hold JSON; ${acceptedTypes}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new CredentialError(
      "InvalidSpec",
      `${where} key "${key}" holds JSON that is not an object; ${acceptedTypes}`,
    );
  const json = parsed as Record<string, unknown>;
  const type = json.type;
  if (type === "service_account" || type === "external_account") return { type, json };
  const refusal = typeof type === "string" ? refusedTypes[type] : undefined;
  if (refusal) throw new CredentialError("InvalidSpec", `${where} key "${key}" ${refusal}`, false);
  const problem = type === undefined ? "has no type field" : "has an unsupported type";
  throw new CredentialError("InvalidSpec", `${where} key "${key}" ${problem}; ${acceptedTypes}`);
}
