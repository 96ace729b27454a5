// The registry leg of an ACR login, as ACR documents it: discover the token service from the
// /v2/ challenge, exchange the Entra token for a refresh token, optionally check that it may pull
// the repositories a source names.

import { parseBearerChallenge } from "../../util/bearer-challenge.js";
import { CredentialError } from "../errors.js";
import { jwtExpiry } from "./jwt-expiry.js";
import type { RegistryHttp, RegistryResponse } from "./registry-http.js";

export interface AcrLoginRequest {
  /** The registry as the spec names it (the Secret's host, the exchange's default `service`). */
  registry: string;
  /** Where the registry is reached: https://<registry> outside tests. */
  baseUrl: URL;
  entraToken: string;
  /** Sent as the exchange's `tenant`, when known. */
  tenantId?: string;
  /** When non-empty, the registry must grant `repository:<name>:pull` for each. */
  repositories?: readonly string[];
}

export interface AcrLogin {
  password: string;
  expiresAt: Date;
}

/** The registry's error text: distribution's `errors[]` or OAuth2's `error`/`error_description`. */
function registryErrorText(response: RegistryResponse): string {
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    return `HTTP ${response.status}`;
  }
  const fields = (typeof body === "object" && body !== null ? body : {}) as {
    errors?: { code?: unknown; message?: unknown }[];
    error?: unknown;
    error_description?: unknown;
  };
  const first = Array.isArray(fields.errors) ? fields.errors[0] : undefined;
  const parts = first ? [first.code, first.message] : [fields.error, fields.error_description];
  // Long unbroken runs are tokens a registry may quote back; they go before the text is cut, so
  // that no fragment of one survives the cut.
  const text = parts
    .filter((part): part is string => typeof part === "string" && part !== "")
    .join(": ")
    .replace(/[A-Za-z0-9._~+/=-]{32,}/g, "[REDACTED]");
  return text === "" ? `HTTP ${response.status}` : `HTTP ${response.status}: ${text.slice(0, 300)}`;
}

function providerError(message: string): CredentialError {
  return new CredentialError("ProviderError", message);
}

/** The token service's realm and service, from the 401 that `GET /v2/` answers without credentials. */
async function discover(http: RegistryHttp, request: AcrLoginRequest, signal?: AbortSignal) {
  const url = new URL("/v2/", request.baseUrl);
  const response = await http({ method: "GET", url, ...(signal ? { signal } : {}) });
  const challenge =
    response.status === 401 ? parseBearerChallenge(response.headers["www-authenticate"]) : undefined;
  if (!challenge)
    throw providerError(
      `registry ${request.registry} answered GET /v2/ with HTTP ${response.status} and no Bearer challenge; an Azure Container Registry asks for a token (401 with WWW-Authenticate: Bearer realm=…)`,
    );
  let realm: URL;
  try {
    realm = new URL(challenge.realm);
  } catch {
    throw providerError(`registry ${request.registry} named a token realm that is not a URL`);
  }
  // The Entra token goes to the registry itself only: a realm elsewhere could collect it.
  if (realm.origin !== request.baseUrl.origin)
    throw providerError(
      `registry ${request.registry} named its token realm on another host (${realm.host}); the operator sends Entra tokens only to the registry itself`,
    );
  return { realm, service: challenge.service ?? request.registry };
}

async function postForm(
  http: RegistryHttp,
  url: URL,
  form: Record<string, string | readonly string[]>,
  what: string,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(form))
    for (const item of typeof value === "string" ? [value] : value) body.append(name, item);
  const response = await http({ method: "POST", url, form: body, ...(signal ? { signal } : {}) });
  if (response.status !== 200) throw providerError(`${what} failed with ${registryErrorText(response)}`);
  try {
    const parsed: unknown = JSON.parse(response.body);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw providerError(`${what} answered HTTP 200 with a body that is not a JSON object`);
}

/** The repositories an ACR access token's `access` claim lets pull. */
function pullableRepositories(accessToken: string): Set<string> {
  const [, payload = ""] = accessToken.split(".");
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return new Set();
  }
  const access = (claims as { access?: unknown } | null)?.access;
  if (!Array.isArray(access)) return new Set();
  return new Set(
    access
      .filter(
        (entry): entry is { type: string; name: string; actions: unknown[] } =>
          typeof entry === "object" &&
          entry !== null &&
          entry.type === "repository" &&
          typeof entry.name === "string" &&
          Array.isArray(entry.actions),
      )
      .filter((entry) => entry.actions.includes("pull") || entry.actions.includes("*"))
      .map((entry) => entry.name),
  );
}

function tokenField(
  answer: Record<string, unknown>,
  field: string,
  what: string,
): { token: string; expiresAt: Date } {
  const token = answer[field];
  if (typeof token !== "string" || token === "") throw providerError(`${what} answered without a ${field}`);
  const expiresAt = jwtExpiry(token);
  if (!expiresAt)
    throw providerError(
      `${what} answered with a ${field} that is not a JWT with an exp claim, so its lifetime is unknown`,
    );
  return { token, expiresAt };
}

/**
 * Logs in to one registry: GET /v2/ for the challenge, POST /oauth2/exchange for a refresh token
 * and, with repositories, POST <realm> for an access token scoped to pulling them, whose grants
 * must cover each. Resolves with the refresh token and its own expiry. Throws a retryable
 * ProviderError naming the step and the registry's error text, or the repositories it would not
 * let pull; never a token value.
 */
export async function acrLogin(
  http: RegistryHttp,
  request: AcrLoginRequest,
  signal?: AbortSignal,
): Promise<AcrLogin> {
  const { realm, service } = await discover(http, request, signal);
  const exchange = `ACR token exchange at ${request.registry}`;
  const refresh = tokenField(
    await postForm(
      http,
      new URL("/oauth2/exchange", request.baseUrl),
      {
        grant_type: "access_token",
        service,
        ...(request.tenantId ? { tenant: request.tenantId } : {}),
        access_token: request.entraToken,
      },
      exchange,
      signal,
    ),
    "refresh_token",
    exchange,
  );
  if (!request.repositories?.length) return { password: refresh.token, expiresAt: refresh.expiresAt };
  const scoped = `ACR repository token request at ${request.registry}`;
  const { token: accessToken } = tokenField(
    await postForm(
      http,
      realm,
      {
        grant_type: "refresh_token",
        service,
        scope: request.repositories.map((name) => `repository:${name}:pull`),
        refresh_token: refresh.token,
      },
      scoped,
      signal,
    ),
    "access_token",
    scoped,
  );
  const pullable = pullableRepositories(accessToken);
  const refused = request.repositories.filter((name) => !pullable.has(name));
  if (refused.length > 0)
    throw providerError(
      `registry ${request.registry} would not let this identity pull ${refused.join(", ")} (its token for repository:<name>:pull grants no pull there); assign AcrPull on the registry, or Container Registry Repository Reader on those repositories`,
    );
  return { password: refresh.token, expiresAt: refresh.expiresAt };
}
