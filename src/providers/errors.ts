import { redactSecrets } from "../util/redact.js";

/** Why a source could not produce tokens; each maps to a reason of the Ready condition. */
export type CredentialErrorReason =
  | "InvalidSpec"
  | "AuthSecretMissing"
  | "ProviderError"
  | "Forbidden"
  /** Under spec.verify.mode Enforce, the registry refused the new login (Ready reason RegistryRefused). */
  | "RegistryRefused";

/**
 * A failure to resolve or mint a source. The message is shown to users in status and events, so it
 * must be specific and must never contain token or key values. `retryable` is false when
 * retrying cannot help until the spec or a referenced object changes.
 */
export class CredentialError extends Error {
  override name = "CredentialError";
  constructor(
    readonly reason: CredentialErrorReason,
    message: string,
    readonly retryable = reason === "ProviderError",
  ) {
    super(redactSecrets(message));
  }
}

/** Turns anything thrown into a CredentialError, keeping CredentialErrors as they are. */
export function asCredentialError(error: unknown, context: string): CredentialError {
  if (error instanceof CredentialError) return error;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new CredentialError("ProviderError", `${context}: ${detail}`);
}

/**
 * `error` as a CredentialError whose message has every occurrence of the given values replaced by
 * "[REDACTED]": exact scrubbing of the credentials a provider itself held while the call failed
 * (keys, session tokens, access tokens), which catches even values that do not look like tokens.
 * Values shorter than 8 characters are left alone.
 */
export function withoutKnownValues(
  error: unknown,
  context: string,
  values: readonly (string | undefined)[],
): CredentialError {
  const credentialError = asCredentialError(error, context);
  const known = values.filter((v): v is string => typeof v === "string" && v.length >= 8);
  const message = known.reduce(
    (text, value) => text.split(value).join("[REDACTED]"),
    credentialError.message,
  );
  return message === credentialError.message
    ? credentialError
    : new CredentialError(credentialError.reason, message, credentialError.retryable);
}
