// A fake of the IAM Service Account Credentials API (generateAccessToken).
import { apiError, FakeGoogleServer, type FakeRequest, type Reply } from "./fake-server.js";
import { bearerToken, type TokenLedger } from "./token-ledger.js";

export interface IamCredentialsServerOptions {
  ledger: TokenLedger;
  /** Who may impersonate whom: caller principal (e-mail or principal://…) → target e-mails. */
  allowed?: Record<string, string[]>;
  /** Upper bound of issued tokens' lifetime in seconds; default 3600. */
  maxLifetimeSeconds?: number;
}

const route = /^\/v1\/projects\/-\/serviceAccounts\/([^/]+):generateAccessToken$/;
const callerScopes = [
  "https://www.googleapis.com/auth/cloud-platform",
  "https://www.googleapis.com/auth/iam",
];
const denied = "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).";

function accountOf(resource: string): string {
  return resource.replace(/^projects\/-\/serviceAccounts\//, "");
}

/**
 * POST /v1/projects/-/serviceAccounts/{email}:generateAccessToken. Checks that the Bearer token
 * was issued by a fake sharing the ledger, is unexpired and has a cloud-platform or iam scope
 * (401 / 403 otherwise), that the body names scopes and a lifetime of at most the maximum, and
 * that every hop caller → delegates… → target is allowed (403 PERMISSION_DENIED otherwise).
 * Answers {accessToken, expireTime}; the token's principal is the target e-mail.
 */
export class FakeIamCredentialsServer extends FakeGoogleServer {
  private readonly allowed = new Map<string, Set<string>>();
  private readonly maxLifetime: number;

  constructor(private readonly options: IamCredentialsServerOptions) {
    super();
    this.maxLifetime = options.maxLifetimeSeconds ?? 3600;
    for (const [caller, targets] of Object.entries(options.allowed ?? {}))
      for (const target of targets) this.allow(caller, target);
  }

  /** Lets `caller` (an e-mail or principal://…) impersonate the service account `target`. */
  allow(caller: string, target: string): this {
    const targets = this.allowed.get(caller) ?? new Set<string>();
    targets.add(target);
    this.allowed.set(caller, targets);
    return this;
  }

  protected override async handle(request: FakeRequest): Promise<Reply> {
    const match = route.exec(request.url.pathname);
    if (!match) return apiError(404, "NOT_FOUND", "Not found.");
    if (request.method !== "POST") return apiError(405, "INVALID_ARGUMENT", "Use POST.");
    const target = decodeURIComponent(match[1] ?? "");
    return this.issuing(async () => this.generate(target, request));
  }

  private generate(target: string, request: FakeRequest): Reply {
    const token = bearerToken(request.headers.authorization);
    const caller = token ? this.options.ledger.valid(token) : undefined;
    if (!caller)
      return apiError(
        401,
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
      );
    if (!caller.scopes.some((scope) => callerScopes.includes(scope)))
      return apiError(403, "PERMISSION_DENIED", "Request had insufficient authentication scopes.");
    let body: { scope?: unknown; delegates?: unknown; lifetime?: unknown };
    try {
      body = JSON.parse(request.body || "{}") as typeof body;
    } catch {
      return apiError(400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
    }
    if (
      !Array.isArray(body.scope) ||
      body.scope.length === 0 ||
      !body.scope.every((s) => typeof s === "string")
    )
      return apiError(400, "INVALID_ARGUMENT", "Scope required.");
    const lifetime = body.lifetime === undefined ? "3600s" : body.lifetime;
    const seconds =
      typeof lifetime === "string" && /^\d+(\.\d+)?s$/.test(lifetime)
        ? Number.parseFloat(lifetime)
        : Number.NaN;
    if (!(seconds > 0 && seconds <= this.maxLifetime))
      return apiError(400, "INVALID_ARGUMENT", `The lifetime must be between 1s and ${this.maxLifetime}s.`);
    const delegates = Array.isArray(body.delegates) ? body.delegates : [];
    if (!delegates.every((d): d is string => typeof d === "string"))
      return apiError(400, "INVALID_ARGUMENT", "Invalid delegates.");
    const chain = [caller.principal, ...delegates.map(accountOf), target];
    for (let hop = 1; hop < chain.length; hop++) {
      const from = chain[hop - 1] ?? "";
      if (!this.allowed.get(from)?.has(chain[hop] ?? "")) return apiError(403, "PERMISSION_DENIED", denied);
    }
    const issued = this.options.ledger.issue("iamcredentials", target, body.scope as string[], seconds);
    return { status: 200, body: { accessToken: issued.token, expireTime: issued.expiresAt.toISOString() } };
  }
}
