// The one thing every Google credential mode produces.
import { CredentialError } from "../errors.js";

/** An OAuth2 access token for Google APIs and when Google stops accepting it. */
export interface AccessToken {
  token: string;
  expiresAt: Date;
}

/** The scope of tokens the operator itself uses (to call IAM), and of federated tokens from STS. */
export const cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";

/**
 * The narrowest scope Artifact Registry and Container Registry accept for pulls (read-only
 * storage): what a token written into a Secret is requested with wherever its issuer lets the
 * scope be chosen, so a reader of the Secret cannot use it against other Google APIs.
 */
export const pullScope = "https://www.googleapis.com/auth/devstorage.read_only";

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
