// A fake of Google's Security Token Service for workload identity federation with an OIDC issuer
// such as a Kubernetes control plane.
import { createLocalJWKSet, decodeJwt, jwtVerify } from "jose";
import { FakeGoogleServer, type FakeRequest, oauthError, type Reply } from "./fake-server.js";
import { fetchIssuerKeys } from "./issuer-keys.js";
import type { TokenLedger } from "./token-ledger.js";

export interface StsServerOptions {
  ledger: TokenLedger;
  /** The pool provider's audience, //iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/providers/X. */
  audience: string;
  /** The OIDC issuer whose tokens the pool provider trusts (e.g. the control plane's https URL). */
  issuer: string;
  /** PEM CA bundle to trust when fetching the issuer's discovery document and JWKS. */
  ca?: string;
  /** Lifetime of issued tokens in seconds; default 3600. */
  tokenLifetimeSeconds?: number;
}

const tokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";
const accessTokenType = "urn:ietf:params:oauth:token-type:access_token";
const subjectTokenTypes = [
  "urn:ietf:params:oauth:token-type:jwt",
  "urn:ietf:params:oauth:token-type:id_token",
];
const acceptedScopes = [
  "https://www.googleapis.com/auth/cloud-platform",
  "https://www.googleapis.com/auth/iam",
];
const audiencePattern =
  /^\/\/iam\.googleapis\.com\/(projects\/[^/]+\/locations\/global\/workloadIdentityPools\/[^/]+)\/providers\/[^/]+$/;

/**
 * POST /v1/token (RFC 8693). Checks grant and token types, that the `audience` parameter is the
 * configured pool provider, and a cloud-platform or iam scope; verifies the subject token for real
 * (fetches the issuer's OIDC discovery and JWKS on every exchange, then checks signature, `iss`,
 * `exp` and that `aud` contains the pool provider audience). Issues a token for
 * principal://iam.googleapis.com/<pool>/subject/<sub> and answers
 * {access_token, issued_token_type, token_type: "Bearer", expires_in}.
 */
export class FakeStsServer extends FakeGoogleServer {
  /** How often the issuer's discovery document and keys were fetched. */
  keyFetches = 0;
  private readonly lifetime: number;
  private readonly pool: string;

  constructor(private readonly options: StsServerOptions) {
    super();
    this.lifetime = options.tokenLifetimeSeconds ?? 3600;
    const pool = audiencePattern.exec(options.audience)?.[1];
    if (!pool) throw new Error(`not a workload identity pool provider audience: ${options.audience}`);
    this.pool = pool;
  }

  /** The token exchange URL, the value for GoogleEndpoints.stsTokenUrl. */
  get tokenUrl(): string {
    return `${this.url}/v1/token`;
  }

  /** The federated principal a subject becomes, as IAM policies name it. */
  principalOf(subject: string): string {
    return `principal://iam.googleapis.com/${this.pool}/subject/${subject}`;
  }

  protected override async handle(request: FakeRequest): Promise<Reply> {
    if (request.url.pathname !== "/v1/token") return { status: 404, body: { error: "not_found" } };
    if (request.method !== "POST") return oauthError(405, "invalid_request", "Use POST.");
    return this.issuing(() => this.exchange(new URLSearchParams(request.body)));
  }

  private async exchange(form: URLSearchParams): Promise<Reply> {
    if (form.get("grant_type") !== tokenExchange)
      return oauthError(400, "unsupported_grant_type", `Invalid value for "grant_type".`);
    if (form.get("requested_token_type") !== accessTokenType)
      return oauthError(400, "invalid_request", `Invalid value for "requested_token_type".`);
    if (!subjectTokenTypes.includes(form.get("subject_token_type") ?? ""))
      return oauthError(400, "invalid_request", `Invalid value for "subject_token_type".`);
    if (form.get("audience") !== this.options.audience)
      return oauthError(
        400,
        "invalid_target",
        `The target service indicated by the "audience" parameters is invalid. This might either be because the pool or provider is disabled or deleted or because it doesn't exist.`,
      );
    const scopes = (form.get("scope") ?? "").split(" ").filter(Boolean);
    if (!scopes.some((scope) => acceptedScopes.includes(scope)))
      return oauthError(400, "invalid_scope", "The scope must include cloud-platform or iam.");
    const subjectToken = form.get("subject_token");
    if (!subjectToken)
      return oauthError(400, "invalid_request", `Missing required parameter "subject_token".`);
    return this.verifiedExchange(subjectToken, scopes);
  }

  private async verifiedExchange(subjectToken: string, scopes: string[]): Promise<Reply> {
    try {
      decodeJwt(subjectToken);
    } catch {
      return oauthError(400, "invalid_grant", "The subject token is not a JWT.");
    }
    let keys: Awaited<ReturnType<typeof fetchIssuerKeys>>;
    try {
      this.keyFetches++;
      keys = await fetchIssuerKeys(this.options.issuer, this.options.ca);
    } catch (error) {
      return oauthError(
        400,
        "invalid_grant",
        `Unable to fetch the issuer's signing keys: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    let subject: string | undefined;
    try {
      const { payload } = await jwtVerify(subjectToken, createLocalJWKSet(keys), {
        issuer: this.options.issuer,
        audience: this.options.audience,
        requiredClaims: ["exp", "sub"],
      });
      subject = payload.sub;
    } catch (error) {
      return oauthError(
        400,
        "invalid_grant",
        `The subject token could not be verified: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const { token } = this.options.ledger.issue(
      "sts",
      this.principalOf(subject ?? ""),
      scopes,
      this.lifetime,
    );
    return {
      status: 200,
      body: {
        access_token: token,
        issued_token_type: accessTokenType,
        token_type: "Bearer",
        expires_in: this.lifetime,
      },
    };
  }
}
