// A stand-in OIDC issuer for unit tests (the integration tests use the real control plane).
import { generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import { exportJWK, SignJWT } from "jose";
import { FakeGoogleServer, type FakeRequest, type Reply } from "./fake-server.js";

export interface SubjectTokenClaims {
  sub: string;
  aud: string | string[];
  /** Lifetime in seconds; default 600. Negative values make an already expired token. */
  lifetimeSeconds?: number;
}

/**
 * Serves /.well-known/openid-configuration and /openid/v1/jwks like kube-apiserver, with `url` as
 * issuer, and signs RS256 tokens. `sign(..., {withForeignKey: true})` signs with a key it does not
 * publish, for signature-failure tests.
 */
export class FakeOidcIssuer extends FakeGoogleServer {
  private readonly keyId = randomBytes(8).toString("hex");
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;

  constructor() {
    super();
    ({ privateKey: this.privateKey, publicKey: this.publicKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
    }));
  }

  get issuer(): string {
    return this.url;
  }

  async sign(claims: SubjectTokenClaims, { withForeignKey = false } = {}): Promise<string> {
    const key = withForeignKey
      ? generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey
      : this.privateKey;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: "RS256", kid: this.keyId })
      .setIssuer(this.issuer)
      .setSubject(claims.sub)
      .setAudience(claims.aud)
      .setIssuedAt(now)
      .setExpirationTime(now + (claims.lifetimeSeconds ?? 600))
      .sign(key);
  }

  protected override async handle(request: FakeRequest): Promise<Reply> {
    switch (request.url.pathname) {
      case "/.well-known/openid-configuration":
        return {
          status: 200,
          body: {
            issuer: this.issuer,
            jwks_uri: `${this.issuer}/openid/v1/jwks`,
            response_types_supported: ["id_token"],
            subject_types_supported: ["public"],
            id_token_signing_alg_values_supported: ["RS256"],
          },
        };
      case "/openid/v1/jwks":
        return this.issuing(async () => ({
          status: 200,
          body: {
            keys: [{ ...(await exportJWK(this.publicKey)), kid: this.keyId, alg: "RS256", use: "sig" }],
          },
        }));
      default:
        return { status: 404, body: "not found" };
    }
  }
}
