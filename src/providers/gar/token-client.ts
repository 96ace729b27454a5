// The slice of a google-auth-library AuthClient the provider relies on.

import { abortable } from "../../util/abortable.js";
import { type AccessToken, usableAccessToken } from "./access-token.js";
import { googleFailure } from "./google-errors.js";

/**
 * What the provider needs of a google-auth-library client: a token, and the expiry the library
 * recorded for it in `credentials.expiry_date` (milliseconds since the epoch). The expiry is read
 * right after the token; a concurrent refresh of a shared client can move it only by the time
 * between the two refreshes.
 */
export interface GoogleTokenClient {
  getAccessToken(): Promise<{ token?: string | null }>;
  readonly credentials: { expiry_date?: number | null };
}

/**
 * Asks the client for a token, giving up when `signal` aborts (rejecting with its reason). Throws
 * ProviderError naming `what` when the client fails (with Google's status and error text when it
 * got an answer) or yields no token or no future expiry.
 */
export async function accessTokenFromClient(
  what: string,
  client: GoogleTokenClient,
  signal?: AbortSignal,
): Promise<AccessToken> {
  signal?.throwIfAborted();
  let token: string | null | undefined;
  try {
    // google-auth-library takes no AbortSignal, and on GKE the metadata server has no timeout.
    ({ token } = await abortable(client.getAccessToken(), signal));
  } catch (error) {
    throw googleFailure(what, error);
  }
  signal?.throwIfAborted();
  const expiry = client.credentials.expiry_date;
  return usableAccessToken(what, token, typeof expiry === "number" ? new Date(expiry) : undefined);
}
