// A fake GCE/GKE metadata server: the operator's ambient Google identity.
import { FakeGoogleServer, type FakeRequest, type Reply } from "./fake-server.js";
import type { TokenLedger } from "./token-ledger.js";

export interface MetadataServerOptions {
  ledger: TokenLedger;
  /** The default service account's e-mail; default operator@fake-project.iam.gserviceaccount.com. */
  email?: string;
  projectId?: string;
  numericProjectId?: string;
  /** Lifetime of issued tokens in seconds; default 3600 (use e.g. 60 for demos). */
  tokenLifetimeSeconds?: number;
}

const base = "/computeMetadata/v1";
const defaultScopes = ["https://www.googleapis.com/auth/cloud-platform"];

/**
 * Serves what google-auth-library and gcp-metadata read: instance/ (the detection ping),
 * service-accounts/{default|email}/token and /email, project/project-id, numeric-project-id and
 * universe/universe-domain. Like the real server it refuses requests without
 * `Metadata-Flavor: Google` or with `X-Forwarded-For` (403), and sends the flavor header back.
 */
export class FakeMetadataServer extends FakeGoogleServer {
  readonly email: string;
  private readonly options: Required<Omit<MetadataServerOptions, "email">>;

  constructor(options: MetadataServerOptions) {
    super();
    this.email = options.email ?? "operator@fake-project.iam.gserviceaccount.com";
    this.options = {
      ledger: options.ledger,
      projectId: options.projectId ?? "fake-project",
      numericProjectId: options.numericProjectId ?? "123456789012",
      tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3600,
    };
  }

  /** host:port, the value for GCE_METADATA_HOST. */
  get host(): string {
    return new URL(this.url).host;
  }

  /** Environment that points google-auth-library at this server and skips its detection ping. */
  environment(): Record<string, string> {
    return { GCE_METADATA_HOST: this.host, METADATA_SERVER_DETECTION: "assume-present" };
  }

  protected override responseHeaders(): Record<string, string> {
    return { "Metadata-Flavor": "Google" };
  }

  protected override async handle(request: FakeRequest): Promise<Reply> {
    if (request.headers["metadata-flavor"] !== "Google")
      return { status: 403, body: "Missing required header: Metadata-Flavor: Google\n" };
    if (request.headers["x-forwarded-for"] !== undefined)
      return { status: 403, body: "Requests with X-Forwarded-For are refused\n" };
    if (request.method !== "GET") return { status: 405, body: "Method not allowed\n" };
    const path = request.url.pathname.replace(/\/+$/, "");
    const account = /^\/computeMetadata\/v1\/instance\/service-accounts\/([^/]+)\/(token|email)$/.exec(path);
    if (account) {
      const [, who, what] = account;
      if (who !== "default" && decodeURIComponent(who ?? "") !== this.email)
        return { status: 404, body: "Not found\n" };
      return what === "email"
        ? { status: 200, body: this.email }
        : this.issuing(async () => this.token(request));
    }
    switch (path) {
      case `${base}/instance`:
        return { status: 200, body: "attributes/\nhostname\nid\nservice-accounts/\nzone\n" };
      case `${base}/project/project-id`:
        return { status: 200, body: this.options.projectId };
      case `${base}/project/numeric-project-id`:
        return { status: 200, body: this.options.numericProjectId };
      case `${base}/universe/universe-domain`:
        return { status: 200, body: "googleapis.com" };
      default:
        return { status: 404, body: "Not found\n" };
    }
  }

  private token(request: FakeRequest): Reply {
    const scopes = request.url.searchParams.get("scopes")?.split(",").filter(Boolean) ?? defaultScopes;
    const lifetime = this.options.tokenLifetimeSeconds;
    const { token } = this.options.ledger.issue("metadata", this.email, scopes, lifetime);
    return { status: 200, body: { access_token: token, expires_in: lifetime, token_type: "Bearer" } };
  }
}
