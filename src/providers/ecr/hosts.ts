// Turning ECR's GetAuthorizationToken answer into registry logins.

/**
 * The bare registry host (lower case, with a port only when the endpoint names one) of an ECR
 * proxyEndpoint such as https://123456789012.dkr.ecr.eu-west-1.amazonaws.com. An endpoint without
 * a scheme is read as https. Returns undefined when the value is not a URL with a host.
 */
export function hostOfProxyEndpoint(proxyEndpoint: string): string | undefined {
  const trimmed = proxyEndpoint.trim();
  if (trimmed === "") return undefined;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
  if (url.hostname === "" || url.username !== "" || url.password !== "") return undefined;
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "") return undefined;
  return url.host.toLowerCase();
}

const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes an ECR authorizationToken, base64 of "<username>:<password>" (the username is "AWS").
 * Returns undefined unless the value is strict base64 of a non-empty username, a colon and a
 * non-empty password.
 */
export function decodeAuthorizationToken(token: string): { username: string; password: string } | undefined {
  if (token === "" || !base64.test(token)) return undefined;
  const decoded = Buffer.from(token, "base64").toString("utf8");
  const separator = decoded.indexOf(":");
  if (separator <= 0 || separator === decoded.length - 1) return undefined;
  return { username: decoded.slice(0, separator), password: decoded.slice(separator + 1) };
}
