// The OAuth2 JWT-bearer grant (RFC 7523) with a service-account key, done against the key's own
// token_uri (google-auth-library would send it to a hard-coded endpoint instead).
import { sign } from "node:crypto";
import { type AccessToken, expiryFromExpiresIn, usableAccessToken } from "./access-token.js";
import { type FetchLike, fetchGoogleJson } from "./google-errors.js";
import type { ServiceAccountKey } from "./service-account-key.js";

const assertionLifetimeSeconds = 3600;
const jwtBearerGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer";

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString("base64url");
}

/**
 * An RS256-signed assertion: iss = client_email, scope, aud = token_uri, iat = now and
 * exp = iat + 3600 (seconds), with the key id as `kid` when the key has one.
 */
function signJwtBearerAssertion(key: ServiceAccountKey, scope: string, nowMs = Date.now()): string {
  const iat = Math.floor(nowMs / 1000);
  const header = { alg: "RS256", typ: "JWT", ...(key.privateKeyId ? { kid: key.privateKeyId } : {}) };
  const claims = { iss: key.clientEmail, scope, aud: key.tokenUri, iat, exp: iat + assertionLifetimeSeconds };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign("sha256", Buffer.from(signingInput), key.privateKey);
  return `${signingInput}.${base64url(signature)}`;
}

/**
 * Exchanges a signed assertion for an access token of `scope` at the key's token_uri. Throws ProviderError
 * when the endpoint fails (with Google's error and error_description) or answers without a token
 * or a positive expires_in.
 */
export async function jwtBearerGrant(
  fetch: FetchLike,
  key: ServiceAccountKey,
  scope: string,
  signal?: AbortSignal,
): Promise<AccessToken> {
  const what = `Google's token endpoint ${key.tokenUri} (JWT-bearer grant for ${key.clientEmail})`;
  const body = new URLSearchParams({
    grant_type: jwtBearerGrantType,
    assertion: signJwtBearerAssertion(key, scope),
  });
  const answer = await fetchGoogleJson(
    fetch,
    what,
    key.tokenUri,
    {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: body.toString(),
    },
    signal,
  );
  const { access_token: token, expires_in: expiresIn } = (answer ?? {}) as Record<string, unknown>;
  return usableAccessToken(what, token, expiryFromExpiresIn(expiresIn));
}
