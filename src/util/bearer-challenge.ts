// The registry's token-auth challenge (RFC 6750 / the distribution token spec).

/** A Bearer challenge's parameters. */
export interface BearerChallenge {
  realm: string;
  service?: string;
}

const token = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const parameter = new RegExp(`^\\s*(${token})\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|(${token}))\\s*(?:,|$)`);

/**
 * The Bearer challenge of a WWW-Authenticate header value such as
 * `Bearer realm="https://r.azurecr.io/oauth2/token",service="r.azurecr.io"`, or undefined when the
 * header holds no Bearer challenge with a realm. Only the first challenge is read.
 */
export function parseBearerChallenge(header: string | undefined): BearerChallenge | undefined {
  const match = header === undefined ? null : /^\s*bearer\s+/i.exec(header);
  if (!header || !match) return undefined;
  let rest = header.slice(match[0].length);
  const params = new Map<string, string>();
  while (rest.trim() !== "") {
    const next = parameter.exec(rest);
    if (!next) break;
    const value = next[2] !== undefined ? next[2].replace(/\\(.)/g, "$1") : (next[3] ?? "");
    params.set((next[1] ?? "").toLowerCase(), value);
    rest = rest.slice(next[0].length);
  }
  const realm = params.get("realm");
  if (!realm) return undefined;
  const service = params.get("service");
  return service === undefined ? { realm } : { realm, service };
}
