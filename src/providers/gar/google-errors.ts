// Turns Google's error answers into CredentialErrors users can act on.
import { describeError } from "../../util/error-text.js";
import { CredentialError } from "../errors.js";

/** A fetch-compatible function; the provider's own calls to Google go through it. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/**
 * Google's error text from a response body: OAuth2 `error` and `error_description`, or the
 * Google API `error.status` and `error.message`. Undefined when the body carries neither.
 */
function googleErrorText(body: unknown): string | undefined {
  if (typeof body === "string") {
    try {
      return googleErrorText(JSON.parse(body));
    } catch {
      return undefined;
    }
  }
  if (typeof body !== "object" || body === null) return undefined;
  const { error, error_description: description } = body as { error?: unknown; error_description?: unknown };
  if (typeof error === "string")
    return typeof description === "string" && description ? `${error}: ${description}` : error;
  if (typeof error === "object" && error !== null) {
    const { status, message } = error as { status?: unknown; message?: unknown };
    const parts = [status, message].filter((part): part is string => typeof part === "string" && part !== "");
    return parts.length > 0 ? parts.join(": ") : undefined;
  }
  return undefined;
}

interface HttpishError {
  status?: unknown;
  code?: unknown;
  response?: { status?: unknown; data?: unknown };
}

/**
 * Wraps a failure of a call to Google as a ProviderError naming `what`, the HTTP status and
 * Google's error text when there was an answer, else the underlying error message. A
 * CredentialError passes through unchanged; an abort is reported as such.
 */
export function googleFailure(what: string, error: unknown): CredentialError {
  if (error instanceof CredentialError) return error;
  const fields = (typeof error === "object" && error !== null ? error : {}) as HttpishError;
  const status = typeof fields.response?.status === "number" ? fields.response.status : fields.status;
  const text = googleErrorText(fields.response?.data);
  if (typeof status === "number" && text !== undefined)
    return new CredentialError("ProviderError", `${what} failed with HTTP ${status}: ${text}`);
  const message = describeError(error);
  if (typeof status === "number")
    return new CredentialError("ProviderError", `${what} failed with HTTP ${status}: ${message}`);
  return new CredentialError("ProviderError", `${what} failed: ${message}`);
}

const requestTimeoutMs = 30_000;

/**
 * Sends one request through `fetch` and returns the parsed JSON body of a 2xx answer. Throws a
 * ProviderError naming `what` for a non-2xx answer (with Google's error text), a body that is not
 * JSON, a network failure, or after 30 s without an answer.
 */
export async function fetchGoogleJson(
  fetch: FetchLike,
  what: string,
  url: string,
  init: RequestInit,
  signal?: AbortSignal,
): Promise<unknown> {
  const timeout = AbortSignal.timeout(requestTimeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { ...init, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    text = await response.text();
  } catch (error) {
    throw googleFailure(what, error);
  }
  if (!response.ok) {
    const detail = googleErrorText(text) ?? (response.statusText || "no error details");
    throw new CredentialError("ProviderError", `${what} failed with HTTP ${response.status}: ${detail}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CredentialError(
      "ProviderError",
      `${what} answered HTTP ${response.status} with a body that is not JSON`,
    );
  }
}
