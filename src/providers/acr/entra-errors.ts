// Turns @azure/identity's failures into CredentialErrors users can act on. Its errors are told apart
// by the names it gives them (exported as CredentialUnavailableErrorName and
// AuthenticationErrorName), not by class: the SDK is loaded only once a source uses it.
import type { AuthenticationError } from "@azure/identity";
import { describeError } from "../../util/error-text.js";
import { CredentialError } from "../errors.js";

/** Entra's AADSTS code and sentence, without the trace and correlation ids that follow it. */
function aadstsText(text: string): string | undefined {
  return /AADSTS\d+:.*?(?=\s*(?:Trace ID:|Correlation ID:|Timestamp:|\r|\n|$))/.exec(text)?.[0].slice(0, 300);
}

/** Whether `error` is @azure/identity's AuthenticationError (Entra answered with an OAuth error). */
function isAuthenticationError(error: unknown): error is AuthenticationError {
  return (
    error instanceof Error &&
    error.name === "AuthenticationError" &&
    typeof (error as Partial<AuthenticationError>).errorResponse === "object"
  );
}

function firstLine(text: string): string {
  return (text.split(/\r?\n/)[0] ?? "").trim().slice(0, 300) || "no detail";
}

/**
 * A ProviderError naming `what` with Entra's HTTP status, OAuth error code and AADSTS text when
 * Entra answered (whether @azure/identity or MSAL raised it), else the failure's first line. A
 * CredentialError passes through unchanged.
 */
export function entraFailure(what: string, error: unknown): CredentialError {
  if (error instanceof CredentialError) return error;
  if (error instanceof Error && error.name === "CredentialUnavailableError")
    return new CredentialError("ProviderError", `${what} is unavailable: ${firstLine(error.message)}`);
  const text = isAuthenticationError(error)
    ? `${error.errorResponse.error}: ${error.errorResponse.errorDescription}`
    : describeError(error);
  const fields = (typeof error === "object" && error !== null ? error : {}) as {
    statusCode?: unknown;
    errorCode?: unknown;
  };
  const status = typeof fields.statusCode === "number" ? ` with HTTP ${fields.statusCode}` : "";
  const code = isAuthenticationError(error)
    ? error.errorResponse.error
    : typeof fields.errorCode === "string"
      ? fields.errorCode
      : /^([a-z_]+):/.exec(text)?.[1];
  const detail = aadstsText(text) ?? firstLine(text);
  return new CredentialError(
    "ProviderError",
    `${what} failed${status}: ${code && !detail.startsWith(code) ? `${code}: ` : ""}${detail}`,
  );
}
