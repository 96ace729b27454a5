// A fake of Google's OAuth2 token endpoint for the JWT-bearer grant of service-account keys.
import { createPublicKey, type KeyObject } from "node:crypto";
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify } from "jose";
import { FakeGoogleServer, type FakeRequest, oauthError, type Reply } from "./fake-server.js";
import type { TokenLedger } from "./token-ledger.js";

export interface OAuthTokenServerOptions {
  ledger: TokenLedger;
  /** Lifetime of issued tokens in seconds; default 3600. */
  tokenLifetimeSeconds?: number;
}

const jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const maxAssertionLifetimeSeconds = 3600;
const clockSkewSeconds = 300;

/**
 * POST /token with grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer. Like Google it checks
 * that the assertion is RS256-signed by the registered key of its `iss`, that `aud` is this
 * endpoint's own URL, that iat/exp lie within a one-hour window around now (with 5 min skew) and
 * that a scope is requested; then it answers {access_token, expires_in, token_type}.
 */
export class FakeOAuthTokenServer extends FakeGoogleServer {
  private readonly keys = new Map<string, KeyObject>();
  private readonly lifetime: number;

  constructor(private readonly options: OAuthTokenServerOptions) {
    super();
    this.lifetime = options.tokenLifetimeSeconds ?? 3600;
  }

  /** The token endpoint URL, the value for a key's token_uri. */
  get tokenUrl(): string {
    return `${this.url}/token`;
  }

  /** Accepts assertions from `clientEmail` signed by the private half of `publicKey`. */
  registerKey(clientEmail: string, publicKey: KeyObject | string): this {
    this.keys.set(clientEmail, typeof publicKey === "string" ? createPublicKey(publicKey) : publicKey);
    return this;
  }

  protected override async handle(request: FakeRequest): Promise<Reply> {
    if (request.url.pathname !== "/token") return { status: 404, body: { error: "not_found" } };
    if (request.method !== "POST") return oauthError(405, "invalid_request", "Use POST.");
    return this.issuing(() => this.grant(new URLSearchParams(request.body)));
  }

  private async grant(form: URLSearchParams): Promise<Reply> {
    if (form.get("grant_type") !== jwtBearer)
      return oauthError(400, "unsupported_grant_type", "Invalid grant_type.");
    const assertion = form.get("assertion");
    if (!assertion) return oauthError(400, "invalid_request", "Missing required parameter: assertion");
    let issuer: unknown;
    try {
      if (decodeProtectedHeader(assertion).alg !== "RS256")
        return oauthError(400, "invalid_grant", "Invalid JWT: the signing algorithm must be RS256.");
      issuer = decodeJwt(assertion).iss;
    } catch {
      return oauthError(400, "invalid_grant", "Invalid JWT: the assertion is not a JWT.");
    }
    const key = typeof issuer === "string" ? this.keys.get(issuer) : undefined;
    if (!key || typeof issuer !== "string")
      return oauthError(400, "invalid_grant", "Invalid grant: account not found");
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(assertion, key, {
        algorithms: ["RS256"],
        issuer,
        audience: this.tokenUrl,
        requiredClaims: ["iat", "exp"],
        maxTokenAge: maxAssertionLifetimeSeconds + clockSkewSeconds,
        clockTolerance: clockSkewSeconds,
      }));
    } catch (error) {
      if (error instanceof errors.JWSSignatureVerificationFailed)
        return oauthError(400, "invalid_grant", "Invalid JWT Signature.");
      return oauthError(
        400,
        "invalid_grant",
        `Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. (${error instanceof Error ? error.message : "invalid"})`,
      );
    }
    const { iat, exp, scope } = claims as { iat: number; exp: number; scope?: unknown };
    if (exp - iat > maxAssertionLifetimeSeconds || iat > Date.now() / 1000 + clockSkewSeconds)
      return oauthError(
        400,
        "invalid_grant",
        "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.",
      );
    if (typeof scope !== "string" || scope.trim() === "")
      return oauthError(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.");
    const { token } = this.options.ledger.issue("oauth", issuer, scope.split(" "), this.lifetime);
    return { status: 200, body: { access_token: token, expires_in: this.lifetime, token_type: "Bearer" } };
  }
}
