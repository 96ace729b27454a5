// A forward proxy on 127.0.0.1, as corporate egress proxies behave: CONNECT tunnels (what clients
// use for https targets, and some for http ones too) and absolute-form requests (plain http
// targets). It records the host:port every request asked for; it never reads tunnelled bytes.
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";

/** One request the proxy received. */
export interface ProxiedRequest {
  /** CONNECT for a tunnel, else the method of an absolute-form request. */
  method: string;
  /** The target as the client named it: host:port. */
  target: string;
}

export class FakeForwardProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** Every request, oldest first. */
  readonly requests: ProxiedRequest[] = [];

  constructor() {
    this.server = createServer((incoming, outgoing) => this.forward(incoming, outgoing));
    this.server.on("connect", (incoming: IncomingMessage, client: Socket, head: Buffer) =>
      this.tunnel(incoming, client, head),
    );
    this.server.on("connection", (socket: Socket) => this.track(socket));
  }

  /** The proxy's URL, for HTTPS_PROXY and HTTP_PROXY. Valid after start(). */
  get url(): string {
    const address = this.server.address() as AddressInfo | null;
    if (!address) throw new Error("FakeForwardProxy is not started");
    return `http://127.0.0.1:${address.port}`;
  }

  /** The distinct targets asked for, sorted. */
  targets(): string[] {
    return [...new Set(this.requests.map((entry) => entry.target))].sort();
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
  }

  /** CONNECT host:port: answers 200 once the target accepts, then copies bytes both ways. */
  private tunnel(incoming: IncomingMessage, client: Socket, head: Buffer): void {
    const target = incoming.url ?? "";
    this.requests.push({ method: "CONNECT", target });
    const { hostname, port } = new URL(`http://${target}`);
    const upstream = connect(Number(port || 443), hostname.replace(/^\[|\]$/g, ""));
    this.track(upstream);
    upstream.on("connect", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on("error", () => client.end("HTTP/1.1 502 Bad Gateway\r\n\r\n"));
    client.on("error", () => upstream.destroy());
  }

  /** An absolute-form request (GET http://host:port/path): sent on to the target as is. */
  private forward(incoming: IncomingMessage, outgoing: ServerResponse): void {
    let url: URL;
    try {
      url = new URL(incoming.url ?? "");
    } catch {
      outgoing.writeHead(400).end("a forward proxy needs an absolute-form request target");
      return;
    }
    this.requests.push({ method: incoming.method ?? "GET", target: `${url.hostname}:${url.port || "80"}` });
    const headers = { ...incoming.headers };
    delete headers["proxy-connection"];
    delete headers["proxy-authorization"];
    const upstream = request(
      url,
      { method: incoming.method, headers: { ...headers, host: url.host } },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on("error", () => {
      if (!outgoing.headersSent) outgoing.writeHead(502);
      outgoing.end();
    });
    incoming.pipe(upstream);
  }
}
