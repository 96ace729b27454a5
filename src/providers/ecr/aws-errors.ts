import { CredentialError } from "../errors.js";

/**
 * A retryable ProviderError for a failed AWS call: "<operation> failed: <AWS error name>: <message>",
 * or "<operation> was aborted". CredentialErrors pass through unchanged. The message is redacted
 * by CredentialError, so quoted AWS text cannot leak long opaque values.
 */
export function awsCallError(operation: string, error: unknown): CredentialError {
  if (error instanceof CredentialError) return error;
  if (error instanceof Error && error.name === "AbortError") {
    return new CredentialError("ProviderError", `${operation} was aborted`);
  }
  const detail =
    error instanceof Error
      ? `${error.name}: ${error.message || "(no message)"}`
      : `unknown error: ${String(error)}`;
  return new CredentialError("ProviderError", `${operation} failed: ${detail}`);
}
