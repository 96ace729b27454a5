// The acr provider's own HTTPS calls to registries: bounded in time and size, never redirected.
import { Agent, request } from "node:https";
import { rootCertificates } from "node:tls";

interface RegistryRequest {
  method: "GET" | "POST";
  url: URL;
  headers?: Record<string, string>;
  /** A form body, sent as application/x-www-form-urlencoded. */
  form?: URLSearchParams;
  signal?: AbortSignal;
}

export interface RegistryResponse {
  status: number;
  /** Header values by lower-case name; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends one request and resolves with the answer, whatever its status (redirects are answers, not
 * followed). Rejects for a URL that is not https, a network or TLS failure, a timeout, an abort, or
 * a body larger than the cap. Error messages name the URL's origin and path, never the body sent.
 */
export type RegistryHttp = (request: RegistryRequest) => Promise<RegistryResponse>;

export interface RegistryHttpOptions {
  /**
   * PEM bundle trusted in addition to Node's bundled roots. Without it the agent trusts Node's
   * default store, which includes NODE_EXTRA_CA_CERTS.
   */
  ca?: string;
  /** Per-request deadline; default 30 s. */
  timeoutMs?: number;
  /** Largest body read; default 64 KiB (ACR's token answers are a few KiB). */
  maxBodyBytes?: number;
}

/**
 * Node's https client with `HTTPS_PROXY`/`NO_PROXY` honoured from the environment (Node's
 * `proxyEnv`), the extra CA bundle trusted, and the limits above.
 */
export function createRegistryHttp(options: RegistryHttpOptions = {}): RegistryHttp {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  const agent = new Agent({
    keepAlive: true,
    proxyEnv: process.env,
    ...(options.ca ? { ca: [...rootCertificates, options.ca] } : {}),
  });
  return (call) =>
    new Promise<RegistryResponse>((resolve, reject) => {
      const where = `${call.method} ${call.url.origin}${call.url.pathname}`;
      if (call.url.protocol !== "https:") {
        reject(new Error(`${where}: only https is allowed`));
        return;
      }
      const body = call.form?.toString();
      const req = request(
        call.url,
        {
          method: call.method,
          agent,
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
          ...(call.signal ? { signal: call.signal } : {}),
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBodyBytes) {
              req.destroy(new Error(`${where}: the answer exceeded ${maxBodyBytes} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          response.on("end", () => {
            clearTimeout(deadline);
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(response.headers))
              if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
            resolve({
              status: response.statusCode ?? 0,
              headers,
              body: Buffer.concat(chunks).toString("utf8"),
            });
          });
          response.on("error", (error) => reject(prefixed(where, error)));
          response.on("aborted", () => reject(new Error(`${where}: the answer was cut off`)));
        },
      );
      // A deadline for the whole exchange, not an idle timeout: a trickling answer ends too.
      const deadline = setTimeout(
        () => req.destroy(new Error(`${where}: no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      req.on("close", () => clearTimeout(deadline));
      req.on("error", (error) => {
        clearTimeout(deadline);
        reject(call.signal?.aborted ? new Error(`${where}: aborted`) : prefixed(where, error));
      });
      req.end(body);
    });
}

function prefixed(where: string, error: Error): Error {
  return error.message.startsWith(where) ? error : new Error(`${where}: ${error.message}`);
}
