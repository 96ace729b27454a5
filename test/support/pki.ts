import "reflect-metadata";
import { generateKeyPairSync, randomBytes, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(globalThis.crypto);

const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const validityMs = 365 * 24 * 3600 * 1000;

/** A certificate and its private key, both PEM-encoded. */
export interface PemKeyPair {
  certPem: string;
  keyPem: string;
}

export interface CertificateRequest {
  commonName: string;
  /** Becomes the subject's O= attributes; Kubernetes reads them as groups. */
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  usage: "server" | "client";
}

/** An in-memory certificate authority that issues ECDSA P-256 certificates valid for one year. */
export interface CertificateAuthority extends PemKeyPair {
  issue(request: CertificateRequest): Promise<PemKeyPair>;
}

function serialNumber(): string {
  // A positive 16-byte serial: clear the top bit so it is not read as negative.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString("hex");
}

function distinguishedName(commonName: string, organizations: string[] = []): string {
  const escapeValue = (value: string) => value.replace(/([,+"\\<>;=])/g, "\\$1");
  return [`CN=${escapeValue(commonName)}`, ...organizations.map((o) => `O=${escapeValue(o)}`)].join(", ");
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
  const body = der.toString("base64").replace(/(.{64})/g, "$1\n");
  return `-----BEGIN PRIVATE KEY-----\n${body.trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

/** Creates a fresh, self-signed certificate authority. */
export async function createCertificateAuthority(commonName: string): Promise<CertificateAuthority> {
  const caKeys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const notBefore = new Date(Date.now() - 60_000);
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: distinguishedName(commonName),
    notBefore,
    notAfter: new Date(notBefore.getTime() + validityMs),
    keys: caKeys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  return {
    certPem: caCert.toString("pem"),
    keyPem: await privateKeyPem(caKeys.privateKey),
    async issue(request) {
      const keys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
      const names: x509.JsonGeneralName[] = [
        ...(request.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
        ...(request.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
      ];
      const extensions: x509.Extension[] = [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([
          request.usage === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
        ]),
        await x509.AuthorityKeyIdentifierExtension.create(caCert),
      ];
      if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serialNumber(),
        subject: distinguishedName(request.commonName, request.organizations),
        issuer: caCert.subject,
        notBefore,
        notAfter: new Date(notBefore.getTime() + validityMs),
        signingKey: caKeys.privateKey,
        publicKey: keys.publicKey,
        signingAlgorithm: algorithm,
        extensions,
      });
      return { certPem: cert.toString("pem"), keyPem: await privateKeyPem(keys.privateKey) };
    },
  };
}

/** An RSA-2048 key pair for signing ServiceAccount tokens (RS256, as EKS and GKE issuers use). */
export function createServiceAccountSigningKey(): { publicKeyPem: string; privateKeyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
}

/** A self-signed RSA-2048 certificate and key, as an Entra application's certificate credential. */
export async function createSelfSignedRsaCertificate(commonName: string): Promise<PemKeyPair> {
  const rsa = {
    name: "RSASSA-PKCS1-v1_5",
    hash: "SHA-256",
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  };
  const keys = await webcrypto.subtle.generateKey(rsa, true, ["sign", "verify"]);
  const notBefore = new Date(Date.now() - 60_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: distinguishedName(commonName),
    notBefore,
    notAfter: new Date(notBefore.getTime() + validityMs),
    keys,
    signingAlgorithm: rsa,
  });
  return { certPem: cert.toString("pem"), keyPem: await privateKeyPem(keys.privateKey) };
}
