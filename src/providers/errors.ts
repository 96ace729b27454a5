/** Why a source could not produce tokens; each maps to a reason of the Ready condition. */
export type CredentialErrorReason = "InvalidSpec" | "AuthSecretMissing" | "ProviderError" | "Forbidden";

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

const opaqueCandidate = /[A-Za-z0-9+/=_.-]{32,}/g;

/**
 * True for runs that look like key material rather than words: URLs (with "//") never; runs whose
 * every piece between "-", ".", "_" is at most 24 characters (hosts, ARN paths, names, request IDs)
 * never; otherwise any run of 40+ characters, or of 32+ that mixes lower case, upper case and digits.
 */
function looksOpaque(run: string): boolean {
  if (run.includes("//")) return false;
  if (run.split(/[-._]/).every((piece) => piece.length <= 24)) return false;
  if (run.length >= 40) return true;
  return [/[a-z]/, /[A-Z]/, /[0-9]/].every((c) => c.test(run));
}

/**
 * Defence in depth for messages that quote a cloud's error text: replaces runs that look like key
 * material (base64 keys and tokens, JWTs, access tokens, 40-character AWS secret keys) with
 * "[REDACTED]". ARNs, hosts, workload-identity audiences and ordinary sentences survive.
 */
export function redactSecrets(message: string): string {
  return message.replace(opaqueCandidate, (run) => (looksOpaque(run) ? "[REDACTED]" : run));
}

/** Turns anything thrown into a CredentialError, keeping CredentialErrors as they are. */
export function asCredentialError(error: unknown, context: string): CredentialError {
  if (error instanceof CredentialError) return error;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new CredentialError("ProviderError", `${context}: ${detail}`);
}
