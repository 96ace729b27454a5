// A fake of Microsoft Entra ID's v2.0 token endpoint for the client-credentials grant, verifying
// what Entra verifies: client secrets, certificate assertions and federated (workload identity)
// assertions, the latter against the issuer's published JWKS.
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
  X509Certificate,
} from "node:crypto";
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from "jose";
import { recordIssued } from "../../support/leaks/ledger.js";
import { FakeGoogleServer, type FakeRequest, type Reply } from "../google/fake-server.js";
import { fetchIssuerKeys } from "../google/issuer-keys.js";

/** A federated identity credential: which external tokens may act as the application. */
interface FederatedCredential {
  issuer: string;
  subject: string;
  audience: string;
  /** PEM CA bundle to trust when fetching the issuer's discovery document and JWKS. */
  issuerCa?: string;
}

/** An application registration (or user-assigned managed identity) and how it may authenticate. */
export interface EntraApplication {
  tenantId: string;
  clientId: string;
  /** The service principal's object ID, which registries' role assignments name. */
  principalId: string;
  secret?: string;
  /** PEM certificate whose key signs client assertions. */
  certificatePem?: string;
  federatedCredentials?: FederatedCredential[];
}

/** The resources whose `<resource>/.default` scope the fake issues tokens for. */
export const entraResources = {
  containerRegistry: "https://containerregistry.azure.net",
  resourceManager: "https://management.azure.com",
} as const;

/** Entra's tolerance for the clocks of assertion signers (MSAL stamps `nbf` from its own clock). */
const clockSkewSeconds = 300;
const jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

function entraError(status: number, error: string, code: string, description: string): Reply {
  return {
    status,
    body: {
      error,
      error_description: `${code}: ${description}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`,
      error_codes: [Number(code.replace("AADSTS", ""))],
    },
  };
}

/** Claims of an access token this fake issued. */
export interface EntraTokenClaims extends JWTPayload {
  tid: string;
  oid: string;
  appid: string;
}

/**
 * POST /<tenant>/oauth2/v2.0/token and GET /<tenant>/v2.0/.well-known/openid-configuration over
 * https. A token request must name a registered application of that tenant, a `<resource>/.default`
 * scope of entraResources, and authenticate with the application's secret, a certificate
 * assertion (signature by the registered certificate's key, `aud` the token endpoint, `iss` and
 * `sub` the client ID, unexpired) or a federated assertion (signature against the issuer's JWKS,
 * fetched on every request, `iss`, `sub` and `aud` of a federated credential, unexpired). Issued
 * tokens are RS256 JWTs with `aud` the resource, `tid`, `oid` and `appid`.
 */
export class FakeEntra extends FakeGoogleServer {
  /** Every request that authenticated, by client ID and how. */
  readonly grants: { clientId: string; method: "secret" | "certificate" | "federated"; scope: string }[] = [];
  /** Every access token issued, for "never leaks" assertions. */
  readonly issued: string[] = [];
  private readonly applications: EntraApplication[] = [];
  private readonly keys = generateKeyPairSync("rsa", { modulusLength: 2048 });

  constructor(private readonly tokenLifetimeSeconds = 3600) {
    super();
  }

  register(application: EntraApplication): this {
    this.applications.push(application);
    return this;
  }

  /** The public key that verifies this fake's access tokens. */
  get verificationKey(): KeyObject {
    return this.keys.publicKey;
  }

  tokenEndpoint(tenantId: string): string {
    return `${this.url}/${tenantId}/oauth2/v2.0/token`;
  }

  /** Verifies a token this fake issued (signature and expiry); rejects otherwise. */
  async verify(token: string): Promise<EntraTokenClaims> {
    const { payload } = await jwtVerify(token, this.keys.publicKey, {
      requiredClaims: ["exp", "tid", "oid"],
    });
    return payload as EntraTokenClaims;
  }

  protected override async handle(request: FakeRequest): Promise<Reply> {
    const path = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/.exec(
      request.url.pathname,
    );
    const tenantId = path?.[1] ?? "";
    if (!path) return { status: 404, body: { error: "not_found" } };
    if (!this.applications.some((app) => app.tenantId === tenantId))
      return entraError(400, "invalid_request", "AADSTS90002", `Tenant '${tenantId}' not found.`);
    if (path[2]?.startsWith("v2.0")) return { status: 200, body: this.discovery(tenantId) };
    if (request.method !== "POST") return entraError(405, "invalid_request", "AADSTS900561", "Use POST.");
    return this.issuing(() => this.token(tenantId, new URLSearchParams(request.body)));
  }

  private discovery(tenantId: string) {
    const base = `${this.url}/${tenantId}`;
    return {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      issuer: `${base}/v2.0`,
      response_types_supported: ["code", "id_token", "token"],
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    };
  }

  private async token(tenantId: string, form: URLSearchParams): Promise<Reply> {
    if (form.get("grant_type") !== "client_credentials")
      return entraError(400, "unsupported_grant_type", "AADSTS70003", "The grant type is not supported.");
    const clientId = form.get("client_id") ?? "";
    const app = this.applications.find((a) => a.tenantId === tenantId && a.clientId === clientId);
    if (!app)
      return entraError(
        400,
        "unauthorized_client",
        "AADSTS700016",
        `Application with identifier '${clientId}' was not found in the directory '${tenantId}'.`,
      );
    const scope = form.get("scope") ?? "";
    const resource = Object.values(entraResources).find((r) => scope === `${r}/.default`);
    if (!resource)
      return entraError(
        400,
        "invalid_scope",
        "AADSTS70011",
        `The provided value for scope ${scope} is not valid.`,
      );
    const method = await this.authenticate(app, form);
    if (typeof method !== "string") return method;
    this.grants.push({ clientId, method, scope });
    return this.issue(app, resource);
  }

  /** How the request proved it is the application, or the error reply. */
  private async authenticate(
    app: EntraApplication,
    form: URLSearchParams,
  ): Promise<"secret" | "certificate" | "federated" | Reply> {
    const secret = form.get("client_secret");
    if (secret !== null) {
      if (app.secret !== undefined && secret === app.secret) return "secret";
      return entraError(401, "invalid_client", "AADSTS7000215", "Invalid client secret provided.");
    }
    const assertion = form.get("client_assertion");
    if (form.get("client_assertion_type") !== jwtBearer || !assertion)
      return entraError(
        401,
        "invalid_client",
        "AADSTS7000218",
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(assertion);
      decodeJwt(assertion);
    } catch {
      return entraError(400, "invalid_request", "AADSTS50027", "JWT token is invalid or malformed.");
    }
    return header.x5t !== undefined || header["x5t#S256"] !== undefined
      ? this.certificateAssertion(app, assertion, header)
      : this.federatedAssertion(app, assertion);
  }

  private async certificateAssertion(
    app: EntraApplication,
    assertion: string,
    header: ReturnType<typeof decodeProtectedHeader>,
  ): Promise<"certificate" | Reply> {
    const refused = (code: string, text: string) => entraError(401, "invalid_client", code, text);
    if (!app.certificatePem)
      return refused("AADSTS700027", "The application has no certificate credentials.");
    const certificate = new X509Certificate(app.certificatePem);
    const der = certificate.raw;
    const thumbprints = [
      createHash("sha1").update(der).digest("base64url"),
      createHash("sha256").update(der).digest("base64url"),
    ];
    const presented = header["x5t#S256"] ?? header.x5t;
    if (typeof presented !== "string" || !thumbprints.includes(presented))
      return refused("AADSTS700027", "The certificate with the presented thumbprint is not registered.");
    try {
      await jwtVerify(assertion, createPublicKey(app.certificatePem), {
        audience: this.tokenEndpoint(app.tenantId),
        issuer: app.clientId,
        subject: app.clientId,
        requiredClaims: ["exp"],
        clockTolerance: clockSkewSeconds,
      });
    } catch (error) {
      return refused(
        "AADSTS700027",
        `Client assertion failed signature validation: ${(error as Error).message}`,
      );
    }
    return "certificate";
  }

  private async federatedAssertion(app: EntraApplication, assertion: string): Promise<"federated" | Reply> {
    const refused = (code: string, text: string) => entraError(400, "invalid_client", code, text);
    const { iss, sub, aud } = decodeJwt(assertion);
    const audiences = typeof aud === "string" ? [aud] : (aud ?? []);
    const credential = app.federatedCredentials?.find(
      (fc) => fc.issuer === iss && fc.subject === sub && audiences.includes(fc.audience),
    );
    if (!credential)
      return refused(
        "AADSTS70021",
        `No matching federated identity record found for presented assertion. Assertion Issuer: '${iss}'. Assertion Subject: '${sub}'. Assertion Audience: '${audiences.join(",")}'.`,
      );
    try {
      const keys = await fetchIssuerKeys(credential.issuer, credential.issuerCa);
      await jwtVerify(assertion, createLocalJWKSet(keys), {
        issuer: credential.issuer,
        audience: credential.audience,
        subject: credential.subject,
        requiredClaims: ["exp"],
        clockTolerance: clockSkewSeconds,
      });
    } catch (error) {
      return refused(
        "AADSTS700211",
        `The presented assertion could not be verified: ${(error as Error).message}`,
      );
    }
    return "federated";
  }

  private async issue(app: EntraApplication, resource: string): Promise<Reply> {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ tid: app.tenantId, oid: app.principalId, appid: app.clientId })
      .setProtectedHeader({ alg: "RS256", typ: "JWT" })
      .setIssuer(`https://sts.windows.net/${app.tenantId}/`)
      .setAudience(resource)
      .setSubject(app.principalId)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + this.tokenLifetimeSeconds)
      .sign(this.keys.privateKey);
    recordIssued("an Entra access token from the fake Entra ID", token);
    this.issued.push(token);
    return {
      status: 200,
      body: {
        token_type: "Bearer",
        expires_in: this.tokenLifetimeSeconds,
        ext_expires_in: this.tokenLifetimeSeconds,
        access_token: token,
      },
    };
  }
}
