// One way to turn anything thrown into text a user may read: short, specific, and redacted.
import { ApiException } from "@kubernetes/client-node";
import { redactSecrets } from "./redact.js";

function messageOf(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { message } = value as { message?: unknown };
  return typeof message === "string" ? message : undefined;
}

/**
 * An error's message followed by its causes' messages, e.g. "fetch failed (connect ECONNREFUSED
 * ...)". Duck-typed, so errors from another realm (Node's built-in fetch under a test VM) work too.
 * Not redacted: callers that show it wrap it in a CredentialError or errorText.
 */
export function describeError(error: unknown, depth = 0): string {
  const message = messageOf(error);
  if (message === undefined) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return depth < 3 && messageOf(cause) !== undefined
    ? `${message} (${describeError(cause, depth + 1)})`
    : message;
}

/** The `message` of a Kubernetes Status body, which may arrive parsed or as JSON text. */
function statusMessage(body: unknown): string | undefined {
  if (typeof body === "string") {
    try {
      return statusMessage(JSON.parse(body));
    } catch {
      return undefined;
    }
  }
  const message = messageOf(body);
  return message === "" ? undefined : message;
}

/**
 * A one-line description of anything thrown, redacted, for logs, events and status. For an
 * apiserver error (client-node's ApiException, whose own message embeds the whole response body
 * and headers) it is "HTTP <code>: <the Status message>" and never the headers or the raw body.
 */
export function errorText(error: unknown): string {
  if (error instanceof ApiException) {
    const message = statusMessage(error.body);
    return redactSecrets(`HTTP ${error.code}${message ? `: ${message}` : ""}`);
  }
  return redactSecrets(describeError(error).split("\n")[0] ?? "");
}
