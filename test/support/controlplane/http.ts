import { request } from "node:https";

export interface TlsClientOptions {
  ca: string;
  cert?: string;
  key?: string;
  /** Skip verification of the serving certificate (for components with self-signed serving certs). */
  insecure?: boolean;
}

/** GETs an https URL and resolves with status and body; rejects on network errors or after timeoutMs. */
export function httpsGet(
  url: string,
  tls: TlsClientOptions,
  timeoutMs = 5000,
): Promise<{ status: number; body: string }> {
  return httpsRequest("GET", url, tls, undefined, timeoutMs);
}

/** Sends a JSON body (when given) and resolves with status and body; rejects on network errors or timeout. */
export function httpsRequest(
  method: string,
  url: string,
  tls: TlsClientOptions,
  json?: unknown,
  timeoutMs = 5000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: json === undefined ? {} : { "content-type": "application/json" },
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        rejectUnauthorized: !tls.insecure,
        timeout: timeoutMs,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(json === undefined ? undefined : JSON.stringify(json));
  });
}
