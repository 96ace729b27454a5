// How a verification message quotes a registry's answer: the status and, at most, the short error
// code a registry puts in its body; never the body itself or a header.
import type { BoundedResponse } from "../util/bounded-http.js";

/** distribution's `errors[].code` (UNAUTHORIZED, DENIED, NAME_UNKNOWN) or OAuth2's `error` (invalid_grant). */
const errorCode = /^(?:[A-Z][A-Z0-9_]{0,63}|[a-z][a-z0-9_]{0,63})$/;

/** The first error code of a distribution or OAuth2 JSON error body, if it has one of that shape. */
function registryErrorCode(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { errors, error } = parsed as { errors?: unknown; error?: unknown };
  const first: unknown = Array.isArray(errors) ? (errors[0] as { code?: unknown } | undefined)?.code : error;
  return typeof first === "string" && errorCode.test(first) ? first : undefined;
}

/**
 * `<request> answered <status>[ <code>]`, with a note for a redirect (never followed), e.g.
 * `GET https://r.example/v2/ answered 401 UNAUTHORIZED`.
 */
export function answered(request: string, response: BoundedResponse): string {
  const code = registryErrorCode(response.body);
  const redirect = response.status >= 300 && response.status < 400 ? " (redirects are not followed)" : "";
  return `${request} answered ${response.status}${code ? ` ${code}` : ""}${redirect}`;
}

/** `<METHOD> <origin><path>` of a URL: what messages name, without its query. */
export function requestLine(method: string, url: URL): string {
  return `${method} ${url.origin}${url.pathname}`;
}
