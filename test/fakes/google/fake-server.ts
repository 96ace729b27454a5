// The HTTP plumbing every Google fake shares: a loopback server, call counting, and commands to
// fail or answer nonsense on the route that issues tokens.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";

/** What a route answers. A string body is sent as text/plain, anything else as JSON. */
export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A request as a route sees it: method, parsed URL, headers and the raw body text. */
export interface FakeRequest {
  method: string;
  url: URL;
  headers: IncomingMessage["headers"];
  body: string;
}

type Behaviour = { kind: "normal" } | { kind: "override"; reply: Reply };

/** Google's JSON error shape for an outage. */
export function unavailable(status = 503): Reply {
  return {
    status,
    body: {
      error: { code: status, message: "The service is currently unavailable.", status: "UNAVAILABLE" },
    },
  };
}

/** An OAuth2 error answer (RFC 6749 §5.2), as Google's token endpoints send it. */
export function oauthError(status: number, error: string, description: string): Reply {
  return { status, body: { error, error_description: description } };
}

/** A Google API error answer ({error: {code, message, status}}). */
export function apiError(status: number, code: string, message: string): Reply {
  return { status, body: { error: { code: status, message, status: code } } };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** A server certificate and key (PEM), for fakes that must be reached over https. */
export interface ServingCertificate {
  certPem: string;
  keyPem: string;
}

/**
 * A fake of one endpoint on http://127.0.0.1:<random port> (https when started with a
 * certificate). Subclasses route requests in
 * `handle`, and wrap their token-issuing route in `issuing`, which counts it in `calls` and
 * applies failWith/answerNonsense.
 */
export abstract class FakeGoogleServer {
  /** Requests that reached the token-issuing route, including failed and overridden ones. */
  calls = 0;
  /** Every request received, on any route. */
  received = 0;
  /** Requests the token-issuing route refused because a check failed. */
  rejections = 0;
  private server: Server | undefined;
  private scheme = "http";
  private behaviour: Behaviour = { kind: "normal" };

  /** http(s)://127.0.0.1:<port>; throws before start(). */
  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error(`${this.constructor.name} is not started`);
    return `${this.scheme}://127.0.0.1:${address.port}`;
  }

  /** Listens on a random loopback port; over https with `tls`, whose certificate must name 127.0.0.1. */
  async start(tls?: ServingCertificate): Promise<this> {
    const serve = (request: IncomingMessage, response: ServerResponse) => void this.serve(request, response);
    const server: Server = tls
      ? createTlsServer({ cert: tls.certPem, key: tls.keyPem }, serve)
      : createServer(serve);
    this.scheme = tls ? "https" : "http";
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    this.server = server;
    return this;
  }

  /** Stops listening and drops open connections. Idempotent. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Every later token request is answered with `reply` (by default a 503 UNAVAILABLE). */
  failWith(reply: Reply = unavailable()): void {
    this.behaviour = { kind: "override", reply };
  }

  /** Every later token request succeeds with `body` (by default `{}`, a 200 with no token). */
  answerNonsense(body: unknown = {}): void {
    this.behaviour = { kind: "override", reply: { status: 200, body } };
  }

  /** Undoes failWith and answerNonsense. */
  behaveNormally(): void {
    this.behaviour = { kind: "normal" };
  }

  protected abstract handle(request: FakeRequest): Promise<Reply>;

  /** Runs a token-issuing route: counts it, applies an override, counts refusals (status >= 400). */
  protected async issuing(route: () => Promise<Reply>): Promise<Reply> {
    this.calls++;
    if (this.behaviour.kind === "override") return this.behaviour.reply;
    const reply = await route();
    if (reply.status >= 400) this.rejections++;
    return reply;
  }

  /**
   * Lets a subclass answer a request itself, as a stream, before its body is read (a proxying
   * route); returns whether it did. Default: never.
   */
  protected passThrough(_request: IncomingMessage, _response: ServerResponse): boolean {
    return false;
  }

  /** Headers added to every answer. */
  protected responseHeaders(): Record<string, string> {
    return {};
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.received++;
    if (this.passThrough(request, response)) return;
    let reply: Reply;
    try {
      const body = await readBody(request);
      const url = new URL(request.url ?? "/", "http://127.0.0.1");
      reply = await this.handle({ method: request.method ?? "GET", url, headers: request.headers, body });
    } catch (error) {
      reply = apiError(
        500,
        "INTERNAL",
        `fake failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
    const contentType = typeof reply.body === "string" ? "text/plain" : "application/json";
    response.writeHead(reply.status, {
      "content-type": contentType,
      ...this.responseHeaders(),
      ...reply.headers,
    });
    response.end(text);
  }
}
