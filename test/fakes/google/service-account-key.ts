// Throwaway Google service-account keys for tests.
import { generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import { recordIssued } from "../../support/leaks/ledger.js";

export interface ServiceAccountKeyFile {
  clientEmail: string;
  /** The key JSON as Google's console writes it. */
  json: Record<string, string>;
  /** The same, serialised (what goes into a Secret). */
  text: string;
  privateKeyPem: string;
  publicKey: KeyObject;
}

export interface ServiceAccountKeyOptions {
  /** Where the key sends its JWT-bearer grant, e.g. a FakeOAuthTokenServer's tokenUrl. */
  tokenUri: string;
  projectId?: string;
  /** Default: a random name in projectId. */
  clientEmail?: string;
}

/** A service-account key JSON with a fresh RSA-2048 key pair. */
export function makeServiceAccountKey(options: ServiceAccountKeyOptions): ServiceAccountKeyFile {
  const projectId = options.projectId ?? "fake-project";
  const clientEmail =
    options.clientEmail ?? `key-${randomBytes(3).toString("hex")}@${projectId}.iam.gserviceaccount.com`;
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  // Shown text wraps a PEM's body as it is: each line of it is a value of its own.
  for (const line of privateKeyPem.split("\n").filter((l) => l && !l.startsWith("-----")))
    recordIssued("a line of a fake Google service-account private key", line);
  const json = {
    type: "service_account",
    project_id: projectId,
    private_key_id: randomBytes(20).toString("hex"),
    private_key: privateKeyPem,
    client_email: clientEmail,
    client_id: String(100000000000000000000n + BigInt(randomBytes(4).readUInt32BE())),
    auth_uri: "https://accounts.google.com/o/oauth2/auth",
    token_uri: options.tokenUri,
    auth_provider_x509_cert_url: "https://www.googleapis.com/oauth2/v1/certs",
    universe_domain: "googleapis.com",
  };
  return { clientEmail, json, text: JSON.stringify(json, null, 2), privateKeyPem, publicKey };
}
