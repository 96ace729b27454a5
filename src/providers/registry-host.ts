// Registry hosts as the kubelet matches the keys of a dockerconfigjson (its credentialprovider
// keyring): what a source may name, how an auths key reads, and when two hosts are one registry.

/** A lower-case DNS name or IPv4 address with an optional port: no scheme, path, wildcard or user. */
const bareHost = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$/;

/** Whether `host` is a bare registry host, as every login this operator writes is keyed. */
function isRegistryHost(host: string): boolean {
  return host.length <= 253 && bareHost.test(host);
}

/**
 * Docker Hub's names that the kubelet serves from one login: it matches an image docker.io/x
 * against a docker.io key, and falls back on the index.docker.io key (which is what
 * https://index.docker.io/v1/ reads as) for any Docker Hub image.
 */
const dockerHubHosts: readonly string[] = ["docker.io", "index.docker.io"];

/** The registry a host names, to tell when two logins would serve the same pulls (Docker Hub's names are one). */
export function registryOf(host: string): string {
  return dockerHubHosts.includes(host) ? "docker.io" : host;
}

/**
 * Why `host`, named in a spec field, is not a bare registry host; undefined when it is. The
 * message quotes the host (hosts are not secret) and says what to write instead.
 */
export function registryHostProblem(host: string): string | undefined {
  if (isRegistryHost(host)) return undefined;
  const shown = JSON.stringify(host);
  const parsed = parseAuthKey(host);
  if ("host" in parsed)
    return `${shown} is not a bare registry host: write ${JSON.stringify(parsed.host)} (no scheme, path or upper case)`;
  return `${shown} is not a bare registry host (a lower-case host name with an optional port, e.g. docker.io or harbor.example.com:8443)`;
}

/**
 * The registry host a dockerconfig `auths` key names, read the way the kubelet reads it: an
 * optional http(s) scheme is dropped and a /v1/ or /v2/ path is the host itself, so
 * "https://index.docker.io/v1/" is index.docker.io. Returns a problem (quoting the key, never an
 * entry's values) for a key no bare host can stand for: one scoped to a repository path, a
 * wildcard, or no host at all.
 */
export function parseAuthKey(key: string): { host: string } | { problem: string } {
  const shown = JSON.stringify(key);
  const trimmed = key.trim();
  const schemed = /^https?:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  if (trimmed.includes("*"))
    return { problem: `auths key ${shown} is a wildcard; list the registries it should serve in hosts` };
  let url: URL;
  try {
    url = new URL(schemed);
  } catch {
    return { problem: `auths key ${shown} is not a registry host` };
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "")
    return { problem: `auths key ${shown} is not a registry host` };
  const path = url.pathname.replace(/^\/v[12]\//, "/");
  if (path !== "/" && path !== "")
    return {
      problem: `auths key ${shown} is scoped to the repository path ${JSON.stringify(path)}; the Secret this operator writes holds one login per registry host`,
    };
  const host = url.host.toLowerCase();
  if (!isRegistryHost(host)) return { problem: `auths key ${shown} is not a registry host` };
  return { host };
}
