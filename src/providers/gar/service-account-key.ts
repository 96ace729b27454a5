// A Google service-account key, checked before anything is signed with it.
import { createPrivateKey, type KeyObject } from "node:crypto";
import { CredentialError } from "../errors.js";
import { isAllowedTokenUri } from "./endpoints.js";

/** Where Google's own keys send their token requests; assumed when a key has no token_uri. */
const googleTokenUri = "https://oauth2.googleapis.com/token";

export interface ServiceAccountKey {
  clientEmail: string;
  privateKey: KeyObject;
  /** The key's id, sent as the JWT `kid` header when present. */
  privateKeyId?: string;
  tokenUri: string;
}

const email = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

function invalid(where: string, problem: string): CredentialError {
  return new CredentialError("InvalidSpec", `${where} holds a service-account key that ${problem}`);
}

/**
 * Checks a parsed `type: service_account` JSON. `where` names its Secret and key for messages.
 * Throws InvalidSpec (never quoting key material) when client_email or private_key is missing or
 * malformed, the private key is not an RSA key, or token_uri is not one of `allowedTokenUris` over
 * https; the last stops a tenant-supplied key from sending signed assertions to any other host.
 */
export function parseServiceAccountKey(
  json: Record<string, unknown>,
  where: string,
  allowedTokenUris: readonly string[],
): ServiceAccountKey {
  const { client_email: clientEmail, private_key: pem, private_key_id: keyId, token_uri: tokenUri } = json;
  if (typeof clientEmail !== "string" || clientEmail === "") throw invalid(where, "lacks client_email");
  if (!email.test(clientEmail)) throw invalid(where, "has a client_email that is not an email address");
  if (typeof pem !== "string" || pem === "") throw invalid(where, "lacks private_key");
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: "pem" });
  } catch {
    throw invalid(where, "has a private_key that is not a PEM-encoded private key");
  }
  if (privateKey.asymmetricKeyType !== "rsa")
    throw invalid(where, "has a private_key that is not an RSA key");
  const uri = tokenUri === undefined ? googleTokenUri : tokenUri;
  if (typeof uri !== "string" || !isAllowedTokenUri(uri, allowedTokenUris)) {
    const shown = typeof uri === "string" && URL.canParse(uri) && uri.length <= 200 ? ` (${uri})` : "";
    throw invalid(
      where,
      `names a token_uri${shown} the operator does not send assertions to; allowed: ${allowedTokenUris.join(", ")}`,
    );
  }
  return {
    clientEmail,
    privateKey,
    ...(typeof keyId === "string" && keyId !== "" ? { privateKeyId: keyId } : {}),
    tokenUri: uri,
  };
}
