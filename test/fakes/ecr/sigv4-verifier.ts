// Server-side AWS Signature Version 4 verification, computed independently of the SDK's signer
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html).
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export interface SignedRequest {
  method: string;
  /** Path and query exactly as received, e.g. "/" or "/a%20b?x=1". */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface KnownCredential {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Why a request was refused, as AWS reports it: HTTP status, error type and message. */
export interface SignatureRejection {
  status: number;
  type: string;
  message: string;
}

export interface VerifyOptions {
  region: string;
  service: string;
  lookup(accessKeyId: string): KnownCredential | undefined;
  now?: Date;
}

const authorizationPattern =
  /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([^/\s]+)\/([^/\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;
const maxSkewMs = 5 * 60_000;

/** The access key id named by a request's Authorization header, if it has one in SigV4 form. */
export function accessKeyIdOf(headers: IncomingHttpHeaders): string | undefined {
  return authorizationPattern.exec(headers.authorization ?? "")?.[1];
}

/**
 * Verifies a SigV4-signed request: the credential must be known (with its session token when it
 * has one), scoped to `region` and `service`, dated within five minutes, and the signature must
 * match one recomputed over the received method, path, query, signed headers and body.
 * Returns the credential, or the rejection AWS would answer with.
 */
export function verifySigV4(
  request: SignedRequest,
  options: VerifyOptions,
): { credential: KnownCredential } | { rejection: SignatureRejection } {
  const reject = (status: number, type: string, message: string) => ({
    rejection: { status, type, message },
  });
  const header = request.headers.authorization;
  if (header === undefined)
    return reject(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
  const match = authorizationPattern.exec(header);
  if (!match)
    return reject(403, "IncompleteSignatureException", "Authorization header is not a SigV4 signature");
  const [, accessKeyId = "", date = "", region = "", service = "", signedHeaderList = "", signature = ""] =
    match;

  const credential = options.lookup(accessKeyId);
  const securityToken = single(request.headers["x-amz-security-token"]);
  if (!credential || credential.sessionToken !== securityToken) {
    return reject(
      403,
      "UnrecognizedClientException",
      "The security token included in the request is invalid.",
    );
  }
  if (service !== options.service) {
    return reject(
      403,
      "InvalidSignatureException",
      `Credential should be scoped to correct service: '${options.service}'.`,
    );
  }
  if (region !== options.region) {
    return reject(
      403,
      "InvalidSignatureException",
      `Credential should be scoped to a valid region, not '${region}'.`,
    );
  }
  const amzDate = single(request.headers["x-amz-date"]) ?? "";
  const signedAt = parseAmzDate(amzDate);
  if (!signedAt || !amzDate.startsWith(date)) {
    return reject(
      400,
      "IncompleteSignatureException",
      "X-Amz-Date is missing, malformed or outside the credential scope date",
    );
  }
  if (Math.abs((options.now ?? new Date()).getTime() - signedAt.getTime()) > maxSkewMs) {
    return reject(
      403,
      "InvalidSignatureException",
      "Signature expired: the request is dated more than 5 minutes from now",
    );
  }
  const signedHeaders = signedHeaderList.split(";");
  if (!signedHeaders.includes("host") || !signedHeaders.includes("x-amz-date")) {
    return reject(403, "InvalidSignatureException", "The host and x-amz-date headers must be signed");
  }
  if (securityToken !== undefined && !signedHeaders.includes("x-amz-security-token")) {
    return reject(403, "InvalidSignatureException", "The x-amz-security-token header must be signed");
  }

  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = [
    "AWS4-HMAC-SHA256",
    amzDate,
    scope,
    sha256Hex(canonicalRequest(request, signedHeaders)),
  ].join("\n");
  const key = [date, region, service, "aws4_request"].reduce<Buffer>(
    (previous, part) => hmac(previous, part),
    Buffer.from(`AWS4${credential.secretAccessKey}`),
  );
  const expected = hmac(key, stringToSign);
  if (!timingSafeEqual(expected, Buffer.from(signature, "hex"))) {
    return reject(
      403,
      "InvalidSignatureException",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
    );
  }
  return { credential };
}

function canonicalRequest(request: SignedRequest, signedHeaders: string[]): string {
  const [path = "/", query = ""] = request.url.split("?", 2);
  const canonicalPath = rfc3986(path).replace(/%2F/g, "/");
  const canonicalQuery = query
    .split("&")
    .filter((pair) => pair !== "")
    .map((pair) => {
      const [name = "", value = ""] = pair.split("=", 2);
      return [rfc3986(decodeURIComponent(name)), rfc3986(decodeURIComponent(value))] as const;
    })
    .sort(([a, av], [b, bv]) => (a === b ? compare(av, bv) : compare(a, b)))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
  const canonicalHeaders = signedHeaders
    .map((name) => {
      const value = request.headers[name];
      const joined = Array.isArray(value) ? value.join(",") : (value ?? "");
      return `${name}:${joined.trim().replace(/\s+/g, " ")}\n`;
    })
    .join("");
  return [
    request.method,
    canonicalPath,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders.join(";"),
    sha256Hex(request.body),
  ].join("\n");
}

/** RFC 3986 percent-encoding, as SigV4 requires. */
function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  return new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s));
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac("sha256", key).update(data).digest();
}
