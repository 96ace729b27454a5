import { ApiException } from "@kubernetes/client-node";

/** A wrong command line: printed with a hint to use --help, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** A failure with a message fit to show as is, exit code 1. */
export class CliError extends Error {
  override readonly name = "CliError";
}

/** The message of a Kubernetes Status body, if the body is one. */
function statusMessage(body: unknown): string | undefined {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    return typeof parsed.message === "string" ? parsed.message : undefined;
  } catch {
    return undefined;
  }
}

/** What a request is about, for error messages: "list pods in namespace x". */
export interface Operation {
  verb: string;
  resource: string;
  namespace?: string | undefined;
}

function describeScope(op: Operation): string {
  return op.namespace ? `in namespace "${op.namespace}"` : "at cluster scope";
}

/** Translates an API error into a CliError with a message naming what was attempted. */
function explainApiError(error: unknown, op: Operation): Error {
  if (error instanceof ApiException) {
    const detail = statusMessage(error.body);
    if (error.code === 403) {
      return new CliError(
        `forbidden: the current user may not ${op.verb} ${op.resource} ${describeScope(op)}` +
          `${detail ? ` (${detail})` : ""}; ask a cluster admin for RBAC permission to ${op.verb} ${op.resource}`,
      );
    }
    if (error.code === 401) {
      return new CliError(
        "unauthorized: the API server rejected the credentials of the current kubeconfig user (expired or invalid token?)",
      );
    }
    if (error.code === 404) {
      return new CliError(
        `not found: ${op.resource} ${describeScope(op)}${detail ? ` (${detail})` : ""} — are the regcred.dev CRDs installed?`,
      );
    }
    return new CliError(`cannot ${op.verb} ${op.resource}: HTTP ${error.code}${detail ? `: ${detail}` : ""}`);
  }
  if (
    error instanceof Error &&
    /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|fetch failed/.test(`${error.message} ${String(error.cause)}`)
  ) {
    return new CliError(`cannot reach the API server to ${op.verb} ${op.resource}: ${error.message}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Whether a failed request is worth retrying: throttled or the apiserver briefly unavailable. */
function transient(error: unknown): boolean {
  return error instanceof ApiException && [429, 503, 504].includes(error.code);
}

/** Runs one read-only API request, retrying brief 429/503/504 answers, and translating errors. */
export async function request<T>(op: Operation, call: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt < attempts && transient(error)) {
        await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
        continue;
      }
      throw explainApiError(error, op);
    }
  }
}
