// The one thing every Google credential mode produces.
import { CredentialError } from "../errors.js";

/** An OAuth2 access token for Google APIs and when Google stops accepting it. */
export interface AccessToken {
  token: string;
  expiresAt: Date;
}

/** The OAuth scope requested for every token; Artifact Registry accepts it for pulls. */
export const cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";

/**
 * Checks what a Google endpoint answered and returns it as an AccessToken. Throws a ProviderError
 * "<what> returned no usable access token" when the token is absent or empty, or the expiry is
 * absent, unparsable or not in the future.
 */
export function usableAccessToken(what: string, token: unknown, expiresAt: Date | undefined): AccessToken {
  if (typeof token !== "string" || token.length === 0)
    throw new CredentialError("ProviderError", `${what} returned no usable access token (no access token)`);
  if (expiresAt === undefined || Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= Date.now())
    throw new CredentialError(
      "ProviderError",
      `${what} returned no usable access token (its expiry is missing or not in the future)`,
    );
  return { token, expiresAt };
}

/** The expiry `expires_in` seconds from now, or undefined when it is not a positive number. */
export function expiryFromExpiresIn(expiresIn: unknown): Date | undefined {
  const seconds = typeof expiresIn === "string" ? Number(expiresIn) : expiresIn;
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds <= 0) return undefined;
  return new Date(Date.now() + seconds * 1000);
}
