// @peculiar/x509 needs the Reflect metadata polyfill loaded before it (it must stay the first import).
import "reflect-metadata";
import { randomBytes, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(globalThis.crypto);

const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export interface SelfSignedRequest {
  /** Subject CN of the serving certificate; the first DNS name (or IP) when omitted. */
  commonName?: string;
  /** DNS subjectAltNames, e.g. "<service>.<namespace>.svc". */
  dnsNames: readonly string[];
  /** IP subjectAltNames, e.g. "127.0.0.1". */
  ipAddresses?: readonly string[];
  /** How long both certificates are valid from `now`. */
  validityMs: number;
  now?: Date;
}

export interface SelfSignedCertificate {
  /** The throwaway CA that signed certPem (its key is discarded): what clients must trust. */
  caCertPem: string;
  /** The ECDSA P-256 serving certificate (serverAuth) and its PKCS#8 key. */
  certPem: string;
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
}

function serialNumber(): string {
  // A positive 16-byte serial: clear the top bit so it is not read as negative.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString("hex");
}

function commonNameDn(value: string): string {
  return `CN=${value.replace(/([,+"\\<>;=#])/g, "\\$1")}`;
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
  const body = der.toString("base64").replace(/(.{64})/g, "$1\n");
  return `-----BEGIN PRIVATE KEY-----\n${body.trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

/**
 * Creates a fresh self-signed CA and one ECDSA P-256 serving certificate it signs, both valid from
 * shortly before `now` (clock skew: a tenth of the validity, at most a minute) until now+validityMs.
 * The CA key never leaves this function, so the CA can sign nothing else; rotating means a new CA.
 */
export async function createSelfSignedServingCertificate(
  request: SelfSignedRequest,
): Promise<SelfSignedCertificate> {
  const names = [...request.dnsNames, ...(request.ipAddresses ?? [])];
  const commonName = request.commonName ?? names[0];
  if (!commonName) throw new Error("a serving certificate needs at least one DNS name or IP address");
  if (!(request.validityMs > 0)) throw new Error("validityMs must be positive");
  const now = request.now ?? new Date();
  const notBefore = new Date(now.getTime() - Math.min(60_000, request.validityMs / 10));
  const notAfter = new Date(now.getTime() + request.validityMs);

  const caKeys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: commonNameDn(`${commonName} webhook CA ${notBefore.toISOString()}`),
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const keys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const altNames: x509.JsonGeneralName[] = [
    ...request.dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...(request.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: commonNameDn(commonName),
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingKey: caKeys.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      new x509.SubjectAlternativeNameExtension(altNames),
    ],
  });

  return {
    caCertPem: ca.toString("pem"),
    certPem: cert.toString("pem"),
    keyPem: await privateKeyPem(keys.privateKey),
    notBefore,
    notAfter,
  };
}
