// Which registries the acr provider may send an Entra token to.

/** Azure's public and sovereign clouds' registry suffixes. */
export const defaultAcrAllowedHosts: readonly string[] = ["*.azurecr.io", "*.azurecr.cn", "*.azurecr.us"];

const entryPattern = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$/;

/**
 * A problem with an allow-list entry, or undefined when it is valid: a lower-case host with an
 * optional port, or `*.` followed by a suffix of at least two labels.
 */
export function allowListEntryProblem(entry: string): string | undefined {
  if (!entryPattern.test(entry))
    return `ACR allow-list entry ${JSON.stringify(entry)} must be a lower-case host[:port] or *.<suffix>, e.g. *.azurecr.io`;
  if (entry.startsWith("*.") && !entry.slice(2).includes("."))
    return `ACR allow-list entry ${JSON.stringify(entry)} is too broad: a wildcard needs a suffix of at least two labels`;
  return undefined;
}

const plainHost = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$/;

/**
 * Whether `host` (as written in a spec) is on the list: only a plain lower-case host[:port] can be
 * (no scheme, path, user info or trailing dot); then `*.suffix` matches any host with a port-less
 * name ending in `.suffix` (one or more labels before it), and any other entry matches exactly.
 */
export function isAllowedRegistryHost(host: string, allowList: readonly string[]): boolean {
  if (!plainHost.test(host)) return false;
  return allowList.some((entry) =>
    entry.startsWith("*.")
      ? !host.includes(":") && host.endsWith(entry.slice(1)) && host.length > entry.length - 1
      : host === entry,
  );
}
