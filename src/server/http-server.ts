import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

export interface HealthServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Whether the operator is ready (caches synced, not shutting down). */
  ready: () => boolean;
}

/**
 * Serves GET /metrics (Prometheus text), /healthz (200 while the process runs) and /readyz (200
 * once ready() holds, 503 before). Resolves with the listening server; rejects if it cannot bind.
 */
export function startHealthServer(options: HealthServerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET") {
      res.writeHead(405).end();
      return;
    }
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else if (path === "/readyz") {
      const ready = options.ready();
      res.writeHead(ready ? 200 : 503, { "content-type": "text/plain" }).end(ready ? "ok\n" : "not ready\n");
    } else if (path === "/metrics") {
      options.registry
        .metrics()
        .then((body) => res.writeHead(200, { "content-type": options.registry.contentType }).end(body))
        .catch((error: Error) => res.writeHead(500).end(error.message));
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}
