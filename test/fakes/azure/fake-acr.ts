// A fake of an Azure Container Registry's login server token service, verifying what ACR verifies
// in its Entra exchange: the Entra token's signature, expiry and audience, the `service`, the
// `tenant`; then refresh tokens and repository-scoped access tokens as ACR issues them.
import { generateKeyPairSync, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { request as httpRequest } from "node:http";
import { exportJWK, type JSONWebKeySet, type JWTPayload, jwtVerify, SignJWT } from "jose";
import { recordIssued } from "../../support/leaks/ledger.js";
import { FakeGoogleServer, type FakeRequest, type Reply } from "../google/fake-server.js";
import { entraResources, type FakeEntra } from "./fake-entra.js";

const acrUsername = "00000000-0000-0000-0000-000000000000";

export interface FakeAcrOptions {
  /** The login server name, e.g. fakeregistry.azurecr.io: the `service` and the tokens' audience. */
  name: string;
  entra: FakeEntra;
  /** The registry's directory; an exchange naming another tenant, or a token of another, fails. */
  tenantId: string;
  /** Principal (object) IDs with AcrPull on the registry. */
  pullers: string[];
  /** Whether Entra tokens for Azure Resource Manager are accepted (azureADAuthenticationAsArmPolicy). */
  armAudienceEnabled?: boolean;
  refreshTokenLifetimeSeconds?: number;
  /** The realm the /v2/ challenge names; default this fake's own /oauth2/token. */
  challengeRealm?: string;
  /**
   * A registry (host:port, plain http) in token-auth mode that trusts this fake's tokens
   * (see jwks()): every /v2/ request goes there as it came, as ACR's login server serves both.
   */
  upstream?: string;
  accessTokenLifetimeSeconds?: number;
}

/** Claims of the ACR tokens this fake signs. */
interface AcrClaims extends JWTPayload {
  grant_type?: string;
  tenant?: string;
  access?: { type: string; name: string; actions: string[] }[];
}

function acrError(status: number, code: string, message: string): Reply {
  return { status, body: { errors: [{ code, message, detail: null }] } };
}

/** Every exchange the fake answered, with what it was sent (never the tokens). */
export interface ExchangeRecord {
  service: string | null;
  tenant: string | null;
  audience: string | undefined;
  accepted: boolean;
}

/**
 * GET /v2/ (401 with `Bearer realm="<url>/oauth2/token",service="<name>"` unless a valid access
 * token is presented), POST /oauth2/exchange (grant_type=access_token), POST /oauth2/token
 * (grant_type=refresh_token; password grants are refused with 400, as ACR does) and GET
 * /oauth2/token with Basic auth of the ACR user name and a refresh token (docker's and
 * containerd's fallback). Repository scopes are granted only to pullers.
 */
export class FakeAcr extends FakeGoogleServer {
  readonly exchanges: ExchangeRecord[] = [];
  /** Every refresh and access token issued, for "never leaks" assertions. */
  readonly issued: string[] = [];
  /** The scopes of every access token issued, per request. */
  readonly grantedScopes: string[][] = [];
  private readonly keys = generateKeyPairSync("ec", { namedCurve: "P-256" });
  private readonly keyId = `acr-${randomUUID()}`;
  private readonly refreshLifetime: number;
  private readonly accessLifetime: number;

  constructor(private readonly options: FakeAcrOptions) {
    super();
    this.refreshLifetime = options.refreshTokenLifetimeSeconds ?? 3 * 3600;
    this.accessLifetime = options.accessTokenLifetimeSeconds ?? 75 * 60;
  }

  get name(): string {
    return this.options.name;
  }

  /** The key set that verifies this fake's tokens, for a registry's token auth (`jwks`). */
  async jwks(): Promise<JSONWebKeySet> {
    return {
      keys: [{ ...(await exportJWK(this.keys.publicKey)), kid: this.keyId, alg: "ES256", use: "sig" }],
    };
  }

  /** Sends /v2/ requests to `upstream` from now on. */
  proxyTo(upstream: string): void {
    this.options.upstream = upstream;
  }

  /** Passes a /v2/ request to the upstream registry untouched, streaming its answer back. */
  protected override passThrough(request: IncomingMessage, response: ServerResponse): boolean {
    const upstream = this.options.upstream;
    if (!upstream || !(request.url ?? "").startsWith("/v2/")) return false;
    const [host, port] = upstream.split(":");
    const forwarded = httpRequest(
      {
        host,
        port: Number(port),
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: upstream },
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on("error", () => response.destroy());
    request.pipe(forwarded);
    return true;
  }

  protected override async handle(request: FakeRequest): Promise<Reply> {
    const path = request.url.pathname;
    if (path === "/v2/" && request.method === "GET") return this.base(request);
    if (path === "/oauth2/exchange" && request.method === "POST")
      return this.issuing(() => this.exchange(new URLSearchParams(request.body)));
    if (path === "/oauth2/token" && request.method === "POST")
      return this.tokenByForm(new URLSearchParams(request.body));
    if (path === "/oauth2/token" && request.method === "GET") return this.tokenByBasicAuth(request);
    return acrError(404, "NOT_FOUND", "not found");
  }

  private challenge(): Reply {
    return {
      ...acrError(
        401,
        "UNAUTHORIZED",
        "authentication required, visit https://aka.ms/acr/authorization for more information.",
      ),
      headers: {
        "www-authenticate": `Bearer realm="${this.options.challengeRealm ?? `${this.url}/oauth2/token`}",service="${this.options.name}"`,
      },
    };
  }

  private async base(request: FakeRequest): Promise<Reply> {
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
    if (!bearer) return this.challenge();
    const claims = await this.verifyOwn(bearer, "access_token");
    return claims ? { status: 200, body: {} } : this.challenge();
  }

  private async exchange(form: URLSearchParams): Promise<Reply> {
    const record: ExchangeRecord = {
      service: form.get("service"),
      tenant: form.get("tenant"),
      audience: undefined,
      accepted: false,
    };
    this.exchanges.push(record);
    if (form.get("grant_type") !== "access_token")
      return acrError(400, "UNSUPPORTED_GRANT_TYPE", "grant type is not supported");
    if (record.service !== this.options.name)
      return acrError(
        400,
        "UNAUTHORIZED",
        `service ${String(record.service)} does not match the registry ${this.options.name}`,
      );
    if (record.tenant !== null && record.tenant !== this.options.tenantId)
      return acrError(401, "UNAUTHORIZED", "the tenant does not match the registry's tenant");
    let claims: Awaited<ReturnType<FakeEntra["verify"]>>;
    try {
      claims = await this.options.entra.verify(form.get("access_token") ?? "");
    } catch {
      return acrError(401, "UNAUTHORIZED", "the access token is invalid or expired");
    }
    record.audience = typeof claims.aud === "string" ? claims.aud : claims.aud?.[0];
    const audienceOk =
      record.audience === entraResources.containerRegistry ||
      (record.audience === entraResources.resourceManager && this.options.armAudienceEnabled === true);
    if (!audienceOk)
      return acrError(
        401,
        "UNAUTHORIZED",
        "the access token's audience is not accepted by this registry (ARM audience tokens are disabled)",
      );
    if (claims.tid !== this.options.tenantId)
      return acrError(401, "UNAUTHORIZED", "the access token is from another tenant");
    record.accepted = true;
    const refreshToken = await this.sign(
      { grant_type: "refresh_token", tenant: claims.tid },
      claims.oid,
      this.refreshLifetime,
    );
    recordIssued(`an ACR refresh token from the fake ${this.options.name}`, refreshToken);
    this.issued.push(refreshToken);
    return { status: 200, body: { refresh_token: refreshToken } };
  }

  private async tokenByForm(form: URLSearchParams): Promise<Reply> {
    const grant = form.get("grant_type");
    if (grant !== "refresh_token")
      return acrError(400, "UNSUPPORTED_GRANT_TYPE", `grant type ${String(grant)} is not supported`);
    if (form.get("service") !== this.options.name)
      return acrError(400, "UNAUTHORIZED", "service does not match");
    return this.accessToken(form.get("refresh_token") ?? "", form.getAll("scope"));
  }

  private async tokenByBasicAuth(request: FakeRequest): Promise<Reply> {
    const basic = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
    if (!basic) return acrError(401, "UNAUTHORIZED", "authentication required");
    const decoded = Buffer.from(basic, "base64").toString("utf8");
    const separator = decoded.indexOf(":");
    if (decoded.slice(0, separator) !== acrUsername) return acrError(401, "UNAUTHORIZED", "invalid username");
    if (request.url.searchParams.get("service") !== this.options.name)
      return acrError(400, "UNAUTHORIZED", "service does not match");
    return this.accessToken(decoded.slice(separator + 1), request.url.searchParams.getAll("scope"));
  }

  private async accessToken(refreshToken: string, scopes: string[]): Promise<Reply> {
    const claims = await this.verifyOwn(refreshToken, "refresh_token");
    if (!claims) return acrError(401, "UNAUTHORIZED", "the refresh token is invalid or expired");
    const puller = this.options.pullers.includes(claims.sub ?? "");
    const access = scopes.flatMap((scope) => {
      const match = /^repository:([^:]+):(.+)$/.exec(scope);
      if (!match || !puller) return [];
      const actions = (match[2] ?? "").split(",").filter((action) => action === "pull");
      return actions.length > 0 ? [{ type: "repository", name: match[1] ?? "", actions }] : [];
    });
    this.grantedScopes.push(access.map((entry) => `repository:${entry.name}:pull`));
    const token = await this.sign(
      { grant_type: "access_token", access },
      claims.sub ?? "",
      this.accessLifetime,
    );
    recordIssued(`an ACR access token from the fake ${this.options.name}`, token);
    this.issued.push(token);
    return { status: 200, body: { access_token: token } };
  }

  private sign(claims: AcrClaims, subject: string, lifetime: number): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", typ: "JWT", kid: this.keyId })
      .setIssuer("Azure Container Registry")
      .setAudience(this.options.name)
      .setSubject(subject)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + lifetime)
      .sign(this.keys.privateKey);
  }

  /** The claims of an unexpired token this registry signed with the given grant type. */
  private async verifyOwn(token: string, grantType: string): Promise<AcrClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.keys.publicKey, { audience: this.options.name });
      const claims = payload as AcrClaims;
      return claims.grant_type === grantType ? claims : undefined;
    } catch {
      return undefined;
    }
  }
}
