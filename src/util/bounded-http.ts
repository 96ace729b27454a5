// The operator's own calls to registries: bounded in time and size, never redirected, https
// unless allowed, and (with an address policy) only to addresses the policy admitted.
import type { LookupAddress } from "node:dns";
import { lookup as dnsLookup } from "node:dns";
import { type ClientRequest, request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { type AddressPolicy, RefusedAddressError } from "./address-policy.js";
import { createProxyAgents } from "./proxy-agents.js";

interface BoundedRequest {
  method: "GET" | "HEAD" | "POST";
  url: URL;
  headers?: Record<string, string>;
  /** A form body, sent as application/x-www-form-urlencoded. */
  form?: URLSearchParams;
  signal?: AbortSignal;
}

export interface BoundedResponse {
  status: number;
  /** Header values by lower-case name; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends one request and resolves with the answer, whatever its status (redirects are answers, not
 * followed). Rejects with a NotSentError for a URL the client may not contact, and with an Error
 * for a host that does not resolve, a network or TLS failure, the deadline, an abort, or a body
 * larger than the cap. Every message starts with the method, origin and path, never a query, a
 * header or the body sent.
 */
export type BoundedHttp = (request: BoundedRequest) => Promise<BoundedResponse>;

/** Why a request was refused before anything was sent. */
type Refusal = { kind: "scheme" } | { kind: "address"; hostname: string; address: string };

/** A request the client refused to send: a scheme it may not use, an address the policy refused. */
export class NotSentError extends Error {
  override name = "NotSentError";

  /** Why, without the request: "only https is allowed", "h resolves to 10.0.0.1, a non-public address". */
  readonly detail: string;

  constructor(
    /** `<METHOD> <origin><path>` of the request. */
    readonly where: string,
    readonly refusal: Refusal,
  ) {
    const detail =
      refusal.kind === "scheme"
        ? "only https is allowed"
        : new RefusedAddressError(refusal.hostname, refusal.address).message;
    super(`${where}: ${detail}`);
    this.detail = detail;
  }
}

export interface BoundedHttpOptions {
  /**
   * PEM bundle trusted in addition to Node's bundled roots. Without it the agent trusts Node's
   * default store, which includes NODE_EXTRA_CA_CERTS.
   */
  ca?: string;
  /** Deadline for a whole exchange (resolution, connection, answer); default 30 s. */
  timeoutMs?: number;
  /** Largest body read; default 64 KiB. */
  maxBodyBytes?: number;
  /** Where the proxy variables are read; default process.env. */
  environment?: NodeJS.ProcessEnv;
  /** Whether an http: URL may be sent in plain text; default never. */
  plainHttpAllowed?: (url: URL) => boolean;
  /**
   * Checks every host before it is contacted; the connection then goes to an admitted address
   * only (pinned, so a second resolution cannot swap it). Through a proxy the proxy resolves the
   * name again: the check is then made on this process's own resolution.
   */
  addressPolicy?: AddressPolicy;
}

/** A lookup that answers `hostname` with the admitted addresses, and resolves any other name. */
function pinnedLookup(hostname: string, addresses: readonly LookupAddress[]): LookupFunction {
  return (name, options, callback) => {
    if (name.toLowerCase() !== hostname.toLowerCase()) {
      dnsLookup(name, options, callback);
      return;
    }
    const family = options.family === "IPv4" ? 4 : options.family === "IPv6" ? 6 : options.family;
    const candidates = addresses.filter((entry) => !family || entry.family === family);
    const [first] = candidates;
    if (!first) {
      const error: NodeJS.ErrnoException = new Error(`${name} has no admitted IPv${family} address`);
      error.code = "ENOTFOUND";
      callback(error, "", 0);
    } else if (options.all) callback(null, candidates);
    else callback(null, first.address, first.family);
  };
}

/** The error's message after `where`. Duck-typed: Node's errors may come from another realm (a test VM). */
function prefixed(where: string, error: unknown): Error {
  const own = (error as { message?: unknown } | null)?.message;
  const message = typeof own === "string" ? own : String(error);
  return message.startsWith(where) && error instanceof Error ? error : new Error(`${where}: ${message}`);
}

function headersOf(response: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers))
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  return headers;
}

/**
 * Node's http and https clients on keep-alive agents with `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`
 * honoured (see createProxyAgents), the extra CA bundle trusted, and the limits above.
 */
export function createBoundedHttp(options: BoundedHttpOptions = {}): BoundedHttp {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  const agents = createProxyAgents({
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.environment ? { environment: options.environment } : {}),
  });
  const policy = options.addressPolicy;
  return (call) =>
    new Promise<BoundedResponse>((resolve, reject) => {
      const { url, signal } = call;
      const where = `${call.method} ${url.origin}${url.pathname}`;
      const https = url.protocol === "https:";
      if (!https && !(url.protocol === "http:" && options.plainHttpAllowed?.(url))) {
        reject(new NotSentError(where, { kind: "scheme" }));
        return;
      }
      let outgoing: ClientRequest | undefined;
      let settled = false;
      const settle = (outcome: { error: Error } | { response: BoundedResponse }) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        signal?.removeEventListener("abort", onAbort);
        if ("response" in outcome) resolve(outcome.response);
        else {
          outgoing?.destroy();
          reject(outcome.error);
        }
      };
      // A deadline for the whole exchange, not an idle timeout: a trickling answer ends too.
      const deadline = setTimeout(
        () => settle({ error: new Error(`${where}: no answer within ${timeoutMs} ms`) }),
        timeoutMs,
      );
      const onAbort = () => settle({ error: new Error(`${where}: aborted`) });
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });

      const send = (addresses: readonly LookupAddress[] | undefined) => {
        if (settled) return;
        const body = call.form?.toString();
        const onAnswer = (response: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBodyBytes)
              settle({ error: new Error(`${where}: the answer exceeded ${maxBodyBytes} bytes`) });
            else chunks.push(chunk);
          });
          response.on("end", () =>
            settle({
              response: {
                status: response.statusCode ?? 0,
                headers: headersOf(response),
                body: Buffer.concat(chunks).toString("utf8"),
              },
            }),
          );
          response.on("error", (error) => settle({ error: prefixed(where, error) }));
          response.on("close", () => {
            if (!response.complete) settle({ error: new Error(`${where}: the answer was cut off`) });
          });
        };
        try {
          outgoing = (https ? httpsRequest : httpRequest)(
            url,
            {
              method: call.method,
              agent: agents.agentFor(url),
              headers: {
                accept: "application/json",
                ...(body === undefined
                  ? {}
                  : {
                      "content-type": "application/x-www-form-urlencoded",
                      "content-length": String(Buffer.byteLength(body)),
                    }),
                ...call.headers,
              },
              ...(addresses ? { lookup: pinnedLookup(url.hostname, addresses) } : {}),
            },
            onAnswer,
          );
        } catch (error) {
          // Header values Node refuses (a control character) throw here; the message names the header only.
          settle({ error: prefixed(where, error) });
          return;
        }
        outgoing.on("error", (error) => settle({ error: prefixed(where, error) }));
        outgoing.end(body);
      };

      if (!policy) send(undefined);
      else
        policy.admit(url.hostname).then(send, (error: unknown) =>
          settle({
            error:
              error instanceof RefusedAddressError
                ? new NotSentError(where, {
                    kind: "address",
                    hostname: error.hostname,
                    address: error.address,
                  })
                : prefixed(where, error),
          }),
        );
    });
}
