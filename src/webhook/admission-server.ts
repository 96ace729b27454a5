import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Logger } from "pino";
import { errorText } from "../util/error-text.js";
import { type ReviewSummary, reviewPodAdmission } from "./admission-review.js";
import type { PullSecretIndex } from "./pull-secret-index.js";
import { RotatingSecureContext, type TlsMaterial } from "./rotating-secure-context.js";

export const mutatePodsPath = "/mutate-pods";
const defaultMaxBodyBytes = 1024 * 1024;

export interface AdmissionServerOptions {
  /** Address to bind, e.g. "0.0.0.0" in a pod or "127.0.0.1" in tests. */
  host: string;
  /** 0 picks a free port (see AdmissionServer.port). */
  port: number;
  /**
   * The serving certificate and key. Read again for every new TLS connection (both with and without
   * SNI), so a rotated certificate is served without a restart; keep it cheap (return held strings).
   * If it throws or returns a broken pair, the previous certificate stays in use.
   */
  tls: () => TlsMaterial;
  index: PullSecretIndex;
  logger: Logger;
  /** Largest accepted request body; larger ones get 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Called with each review answered (for metrics); must not throw. */
  onReviewed?: (summary: ReviewSummary) => void;
}

export interface AdmissionServer {
  /** The bound port. */
  readonly port: number;
  /** Stops listening and destroys open connections (including keep-alive ones). Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the HTTPS pod admission webhook:
 * - POST /mutate-pods: an admission.k8s.io/v1 AdmissionReview in, an AdmissionReview out that always
 *   allows the pod (with a base64 JSONPatch adding missing pull Secrets from `index`). Bodies that
 *   are not JSON AdmissionReview requests get 400; bodies over maxBodyBytes get 413.
 * - GET /healthz: 200 "ok".
 * Other paths get 404, other methods 405. Logs identify reviews by uid, namespace and pod name only;
 * pod specs and request bodies are never logged. Rejects if it cannot bind or the first tls() fails.
 */
export async function startAdmissionServer(options: AdmissionServerOptions): Promise<AdmissionServer> {
  const logger = options.logger.child({ component: "admission-webhook" });
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
  const contexts = new RotatingSecureContext(options.tls, (error) =>
    logger.error(
      { err: errorText(error) },
      "cannot load the webhook serving certificate; serving the previous one",
    ),
  );
  const sockets = new Set<Socket>();

  const server: Server = createServer(
    {
      // Without SNI (clients calling an IP address, as the apiserver does for https://127.0.0.1 URLs)
      // the server's default context is used: the "connection" listener below keeps it current.
      SNICallback: (_servername, callback) => {
        refresh();
        callback(null, contexts.current());
      },
      cert: contexts.material().certPem,
      key: contexts.material().keyPem,
      requestTimeout: 10_000,
      headersTimeout: 5_000,
      keepAliveTimeout: 30_000,
    },
    (req, res) => handle(req, res),
  );

  function refresh(): void {
    const changed = contexts.refresh();
    if (!changed) return;
    server.setSecureContext({ cert: changed.certPem, key: changed.keyPem });
    logger.info("serving a new webhook certificate");
  }

  // Prepended so it runs before the TLS server wraps the socket with its default context.
  server.prependListener("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    refresh();
  });

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz") {
      if (req.method !== "GET" && req.method !== "HEAD") return void res.writeHead(405).end();
      return void res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    }
    if (path !== mutatePodsPath) return void res.writeHead(404).end();
    if (req.method !== "POST") return void res.writeHead(405, { allow: "POST" }).end();
    readBody(req, maxBodyBytes).then(
      (body) => {
        respond(res, body).catch((error: Error) => {
          logger.error({ err: errorText(error) }, "answering an admission request failed");
          if (!res.headersSent) res.writeHead(500).end();
        });
      },
      (error: unknown) => {
        if (error instanceof BodyTooLarge) {
          logger.warn({ limit: maxBodyBytes }, "admission request body too large");
          res.writeHead(413, { connection: "close", "content-type": "text/plain" });
          res.end("request body too large\n", () => req.socket.destroy());
        } else {
          logger.warn({ err: errorText(error) }, "reading the admission request failed");
          req.socket.destroy();
        }
      },
    );
  }

  async function respond(res: ServerResponse, body: Buffer): Promise<void> {
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString("utf8"));
    } catch {
      logger.warn("admission request is not JSON");
      return void res.writeHead(400, { "content-type": "text/plain" }).end("body is not JSON\n");
    }
    const result = await reviewPodAdmission(payload, options.index);
    if (!result.ok) {
      logger.warn({ reason: result.error }, "malformed admission request");
      return void res.writeHead(400, { "content-type": "text/plain" }).end(`${result.error}\n`);
    }
    const { summary } = result;
    options.onReviewed?.(summary);
    if (summary.error) logger.error(summary, "computing the pod patch failed; allowing the pod unchanged");
    else
      logger.debug(summary, summary.added.length > 0 ? "adding pull secrets to pod" : "pod left unchanged");
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(result.review));
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (error) => logger.error({ err: errorText(error) }, "admission server error"));
  server.on("tlsClientError", (error) => logger.debug({ err: errorText(error) }, "TLS handshake failed"));
  const { port } = server.address() as AddressInfo;
  logger.info({ host: options.host, port }, "admission webhook listening");

  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

class BodyTooLarge extends Error {}

/** Reads the whole body, rejecting with BodyTooLarge as soon as it (or its Content-Length) exceeds limit. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) return reject(new BodyTooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off("data", onData);
        req.pause();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks)));
    req.once("error", reject);
  });
}
