// A fetch over node:http(s) and chosen agents, for calls that must honour the proxy variables
// (the global fetch ignores them unless NODE_USE_ENV_PROXY was set when the process started).
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { ProxyAgents } from "./proxy-agents.js";

/** Statuses whose Response may carry no body. */
const bodiless = new Set([101, 204, 205, 304]);

function bodyText(body: RequestInit["body"]): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return body;
  if (body instanceof URLSearchParams) return body.toString();
  throw new TypeError("agentFetch sends string or URLSearchParams bodies only");
}

/**
 * A fetch for http(s) URLs through `agents`: method, headers, a string or URLSearchParams body and
 * `signal` are honoured; redirects are answers, not followed. Rejects on a network or TLS failure,
 * an abort (with the signal's reason), an unsupported body or scheme.
 */
export function agentFetch(agents: ProxyAgents): (url: string, init?: RequestInit) => Promise<Response> {
  return (url, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      if (target.protocol !== "https:" && target.protocol !== "http:") {
        reject(new TypeError(`agentFetch cannot fetch ${target.protocol} URLs`));
        return;
      }
      let body: string | undefined;
      try {
        body = bodyText(init.body);
      } catch (error) {
        reject(error);
        return;
      }
      const signal = init.signal ?? undefined;
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const headers = Object.fromEntries(new Headers(init.headers).entries());
      if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
      const send = target.protocol === "https:" ? httpsRequest : httpRequest;
      const onAnswer = (answer: IncomingMessage) => {
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("error", reject);
        answer.on("end", () => {
          const status = answer.statusCode ?? 0;
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(answer.headers))
            for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value])
              responseHeaders.append(name, one);
          try {
            resolve(
              new Response(bodiless.has(status) ? null : Buffer.concat(chunks), {
                status,
                statusText: answer.statusMessage ?? "",
                headers: responseHeaders,
              }),
            );
          } catch (error) {
            reject(error);
          }
        });
      };
      const call = send(
        target,
        { method: init.method ?? "GET", headers, agent: agents.agentFor(target) },
        onAnswer,
      );
      const onAbort = () =>
        call.destroy(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
      signal?.addEventListener("abort", onAbort, { once: true });
      call.on("close", () => signal?.removeEventListener("abort", onAbort));
      call.on("error", (error) => reject(signal?.aborted ? signal.reason : error));
      call.end(body);
    });
}
