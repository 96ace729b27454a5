// Loopback registries that check credentials as the real ones do, for the probe's tests: a Basic
// registry (ECR's shape), and token-auth registries (distribution's token spec) whose token service
// is on the registry's own origin (ACR's shape) or on another origin (Docker Hub's shape).
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { recordIssued } from "../../support/leaks/ledger.js";
import type { PemKeyPair } from "../../support/pki.js";

export type RegistryKind = "basic" | "bearer-same-origin" | "bearer-other-origin";

/** An answer a test forces on a route, or "hang" for none at all. */
export type ForcedAnswer =
  | { status: number; headers?: Record<string, string>; body?: string }
  | "hang"
  | ((request: SeenRequest) => { status: number; headers?: Record<string, string>; body?: string });

/** A request as a fake saw it: never a credential value, only how the request authenticated. */
export interface SeenRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: "none" | "basic" | "bearer";
  accept: string | undefined;
}

export interface FakeRegistryOptions {
  kind: RegistryKind;
  /** Logins the registry (or its token service) accepts: user name → password. */
  users: Readonly<Record<string, string>>;
  /** Repositories each user may pull. */
  pullers?: Readonly<Record<string, readonly string[]>>;
  /** Manifests the registry holds, as "repository:reference". */
  manifests?: readonly string[];
  /** Serve https with this certificate (it must name 127.0.0.1); default plain http. */
  tls?: PemKeyPair;
  /** The `service` the token service expects (and the challenge names); default "fake-registry". */
  service?: string;
  /** The fields a token answer carries the token in; default both `token` and `access_token`. */
  tokenFields?: readonly ("token" | "access_token")[];
}

const distributionError = (code: string, message: string) => JSON.stringify({ errors: [{ code, message }] });

/** A loopback http(s) server whose routes a subclass or a test decides. */
class LoopbackServer {
  private server: Server | undefined;
  private scheme = "http";
  readonly seen: SeenRequest[] = [];
  private readonly forced = new Map<string, ForcedAnswer>();
  private readonly hanging = new Set<ServerResponse>();
  /** Called with every request the server receives, after it is recorded. */
  onRequest: ((request: SeenRequest) => void) | undefined;

  constructor(
    private readonly route: (request: SeenRequest, headers: IncomingMessage["headers"]) => Answer,
  ) {}

  /** http(s)://127.0.0.1:<port>; throws before start(). */
  get origin(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error("the fake registry is not started");
    return `${this.scheme}://127.0.0.1:${address.port}`;
  }

  /** 127.0.0.1:<port>, as an auths key names this server. */
  get host(): string {
    return new URL(this.origin).host;
  }

  /** Every later request for `path` gets `answer` instead of the fake's own. */
  force(path: string, answer: ForcedAnswer): void {
    this.forced.set(path, answer);
  }

  async start(tls?: PemKeyPair): Promise<void> {
    const serve = (request: IncomingMessage, response: ServerResponse) => this.serve(request, response);
    const server = tls ? createTlsServer({ cert: tls.certPem, key: tls.keyPem }, serve) : createServer(serve);
    this.scheme = tls ? "https" : "http";
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const response of this.hanging) response.destroy();
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private serve(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? "/", "http://fake");
    const scheme = /^(\w+)\s/.exec(request.headers.authorization ?? "")?.[1]?.toLowerCase();
    const seen: SeenRequest = {
      method: request.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: scheme === "basic" ? "basic" : scheme === "bearer" ? "bearer" : "none",
      accept: request.headers.accept,
    };
    this.seen.push(seen);
    this.onRequest?.(seen);
    request.resume();
    const forced = this.forced.get(url.pathname);
    if (forced === "hang") {
      this.hanging.add(response);
      return;
    }
    const answer =
      forced === undefined
        ? this.route(seen, request.headers)
        : typeof forced === "function"
          ? forced(seen)
          : forced;
    response.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
    response.end(answer.body ?? "");
  }
}

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** What a token grants: who it was issued to and which repositories it may pull. */
interface Grant {
  user: string;
  repositories: string[];
}

/**
 * GET /v2/ and HEAD /v2/<repository>/manifests/<reference>, guarded by Basic auth or by Bearer
 * tokens from GET /token (Basic auth, `service` and `scope` as distribution's token spec sends
 * them; scopes the user may not pull are dropped from the grant, as Docker Hub and ACR do). A
 * repository the credential may not pull answers 403 DENIED (Basic) or 401 insufficient_scope
 * (Bearer), a missing manifest 404.
 */
export class FakeRegistry {
  readonly registry: LoopbackServer;
  /** The token service: the registry itself, or another server for "bearer-other-origin". */
  readonly tokens: LoopbackServer | undefined;
  private readonly grants = new Map<string, Grant>();
  /** Every token issued, for "never shown" assertions. */
  readonly issued: string[] = [];

  constructor(private readonly options: FakeRegistryOptions) {
    this.registry = new LoopbackServer((request, headers) => this.routeRegistry(request, headers));
    if (options.kind === "bearer-other-origin")
      this.tokens = new LoopbackServer((request, headers) => this.routeTokens(request, headers));
    else if (options.kind === "bearer-same-origin") this.tokens = this.registry;
    for (const password of Object.values(options.users)) recordIssued("a fake registry's password", password);
  }

  get service(): string {
    return this.options.service ?? "fake-registry";
  }

  /** Where the challenge sends a client for a token. */
  get realm(): string {
    if (!this.tokens) throw new Error("a Basic registry has no token service");
    return `${this.tokens.origin}/token`;
  }

  async start(): Promise<this> {
    await this.registry.start(this.options.tls);
    if (this.tokens && this.tokens !== this.registry) await this.tokens.start(this.options.tls);
    return this;
  }

  async close(): Promise<void> {
    await this.registry.close();
    if (this.tokens && this.tokens !== this.registry) await this.tokens.close();
  }

  private basicUser(headers: IncomingMessage["headers"]): string | undefined {
    const encoded = /^Basic\s+(\S+)$/i.exec(headers.authorization ?? "")?.[1];
    if (!encoded) return undefined;
    const decoded = Buffer.from(encoded, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const [user, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
    return colon > 0 && this.options.users[user] === password ? user : undefined;
  }

  private grantOf(headers: IncomingMessage["headers"]): Grant | undefined {
    const token = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? "")?.[1];
    return token === undefined ? undefined : this.grants.get(token);
  }

  private challenge(scope?: string, error?: string): Record<string, string> {
    const parameters = [`realm="${this.realm}"`, `service="${this.service}"`];
    if (scope) parameters.push(`scope="${scope}"`);
    if (error) parameters.push(`error="${error}"`);
    return { "www-authenticate": `Bearer ${parameters.join(",")}` };
  }

  private routeRegistry(request: SeenRequest, headers: IncomingMessage["headers"]): Answer {
    if (request.path === "/token" && this.tokens === this.registry) return this.routeTokens(request, headers);
    const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(request.path);
    if (request.path !== "/v2/" && !manifest)
      return { status: 404, body: distributionError("NOT_FOUND", "no such route") };
    const repository = manifest?.[1];
    const scope = repository ? `repository:${repository}:pull` : undefined;
    let user: string | undefined;
    let pullable: readonly string[];
    if (this.options.kind === "basic") {
      user = this.basicUser(headers);
      if (!user)
        return {
          status: 401,
          headers: { "www-authenticate": 'Basic realm="fake-registry"' },
          body: distributionError("UNAUTHORIZED", "authentication required"),
        };
      pullable = this.options.pullers?.[user] ?? [];
    } else {
      const grant = this.grantOf(headers);
      if (!grant)
        return {
          status: 401,
          headers: this.challenge(scope),
          body: distributionError("UNAUTHORIZED", "authentication required"),
        };
      user = grant.user;
      pullable = grant.repositories;
    }
    if (!manifest || !repository) return { status: 200, body: "{}" };
    if (!pullable.includes(repository))
      return this.options.kind === "basic"
        ? { status: 403, body: distributionError("DENIED", `${user} may not pull ${repository}`) }
        : {
            status: 401,
            headers: this.challenge(scope, "insufficient_scope"),
            body: distributionError("UNAUTHORIZED", "authentication required"),
          };
    const exists = this.options.manifests?.includes(`${repository}:${manifest[2]}`) ?? false;
    return exists
      ? { status: 200, headers: { "docker-content-digest": "sha256:0" } }
      : { status: 404, body: distributionError("MANIFEST_UNKNOWN", "manifest unknown") };
  }

  private routeTokens(request: SeenRequest, headers: IncomingMessage["headers"]): Answer {
    if (request.path !== "/token" || request.method !== "GET")
      return { status: 404, body: distributionError("NOT_FOUND", "no such route") };
    if (request.query.service !== this.service)
      return { status: 400, body: JSON.stringify({ error: "invalid_request" }) };
    const user = this.basicUser(headers);
    if (!user)
      return { status: 401, body: distributionError("UNAUTHORIZED", "incorrect username or password") };
    const asked = (request.query.scope ?? "")
      .split(" ")
      .map((scope) => /^repository:(.+):pull$/.exec(scope)?.[1])
      .filter((name): name is string => name !== undefined);
    const repositories = asked.filter((name) => this.options.pullers?.[user]?.includes(name));
    const token = `fake-bearer-${randomBytes(24).toString("hex")}`;
    recordIssued("a fake registry's bearer token", token);
    this.issued.push(token);
    this.grants.set(token, { user, repositories });
    const fields = this.options.tokenFields ?? ["token", "access_token"];
    const body = Object.fromEntries([...fields.map((field) => [field, token]), ["expires_in", 300]]);
    return { status: 200, body: JSON.stringify(body) };
  }
}
