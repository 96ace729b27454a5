// Where the provider sends its own calls to Google, and which tenant-supplied URLs it accepts.

/** Google endpoints the operator trusts. Tests point them at local fakes. */
export interface GoogleEndpoints {
  /** Security Token Service token-exchange endpoint (RFC 8693). */
  stsTokenUrl: string;
  /** IAM Service Account Credentials API base URL, without a trailing slash or version. */
  iamCredentialsUrl: string;
  /** Token endpoints a service-account key's token_uri may name. */
  allowedTokenUris: string[];
}

export const defaultGoogleEndpoints: GoogleEndpoints = {
  stsTokenUrl: "https://sts.googleapis.com/v1/token",
  iamCredentialsUrl: "https://iamcredentials.googleapis.com",
  allowedTokenUris: ["https://oauth2.googleapis.com/token"],
};

const loopbackHosts = new Set(["127.0.0.1", "[::1]", "localhost"]);

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** The URL in a canonical form for comparison (lower-case host, default port dropped), or undefined. */
export function normalizeUrl(text: string): string | undefined {
  return parseUrl(text)?.href;
}

/**
 * Whether a URL may carry credentials: https, or plain http to a loopback address (local fakes and
 * sidecars, which never leave the host).
 */
function isSecureTransport(text: string): boolean {
  const url = parseUrl(text);
  if (!url) return false;
  return url.protocol === "https:" || (url.protocol === "http:" && loopbackHosts.has(url.hostname));
}

/** Whether `text` names exactly one of the allowed token endpoints and uses a secure transport. */
export function isAllowedTokenUri(text: string, allowed: readonly string[]): boolean {
  const normalized = normalizeUrl(text);
  if (normalized === undefined || !isSecureTransport(text)) return false;
  return allowed.some((candidate) => normalizeUrl(candidate) === normalized);
}

/** Whether `text` has the same origin as `base` and a path below base's path. */
export function isUnder(text: string, base: string): boolean {
  const url = parseUrl(text);
  const root = parseUrl(base);
  if (!url || !root || url.origin !== root.origin) return false;
  const prefix = root.pathname.endsWith("/") ? root.pathname : `${root.pathname}/`;
  return url.pathname.startsWith(prefix) && url.username === "" && url.password === "";
}
