// IAM Credentials generateAccessToken: trade a token for one of a service account it may impersonate.
import type { Impersonation } from "../../api/v1alpha1.js";
import { type AccessToken, pullScope, usableAccessToken } from "./access-token.js";
import { type FetchLike, fetchGoogleJson } from "./google-errors.js";

const tokenLifetime = "3600s";

function resourceName(account: string): string {
  return `projects/-/serviceAccounts/${account}`;
}

/**
 * `target.serviceAccount` must have passed validate() (an e-mail address, safe in a URL path).
 * Calls `${iamCredentialsUrl}/v1/projects/-/serviceAccounts/{email}:generateAccessToken` with
 * `base` as the Bearer token and returns the target's token (scope read-only storage, all a pull
 * needs), expiring at Google's expireTime.
 * Throws ProviderError when the call fails (with Google's status and message) or the answer
 * lacks accessToken or a future expireTime.
 */
export async function impersonate(
  fetch: FetchLike,
  iamCredentialsUrl: string,
  base: AccessToken,
  target: Impersonation,
  signal?: AbortSignal,
): Promise<AccessToken> {
  const what = `IAM Credentials generateAccessToken for ${target.serviceAccount}`;
  const url = `${iamCredentialsUrl.replace(/\/+$/, "")}/v1/${resourceName(target.serviceAccount)}:generateAccessToken`;
  const answer = await fetchGoogleJson(
    fetch,
    what,
    url,
    {
      method: "POST",
      headers: {
        authorization: `Bearer ${base.token}`,
        "content-type": "application/json",
        accept: "application/json",
      },
      body: JSON.stringify({
        delegates: (target.delegates ?? []).map(resourceName),
        scope: [pullScope],
        lifetime: tokenLifetime,
      }),
    },
    signal,
  );
  const { accessToken, expireTime } = (answer ?? {}) as Record<string, unknown>;
  const expiresAt = typeof expireTime === "string" ? new Date(expireTime) : undefined;
  return usableAccessToken(what, accessToken, expiresAt);
}
