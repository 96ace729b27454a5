import { createHash } from "node:crypto";
import type { V1Secret } from "@kubernetes/client-node";
import type { SourceStatus } from "../api/v1alpha1.js";
import type { RegistryToken } from "../providers/provider.js";
import { dockerConfigKey } from "../secrets/desired-secret.js";
import { parseDockerConfig } from "../secrets/dockerconfig.js";
import type { MintedTokens } from "../tokens/token-cache.js";

/**
 * Reads back the logins a source last wrote, from the managed Secret and the source's status entry:
 * how a restarted operator recovers fresh tokens without calling the cloud. Returns undefined when
 * the Secret lacks any of the source's hosts or the status lacks its mint time.
 */
export function recoverSourceTokens(
  secret: V1Secret | undefined,
  status: SourceStatus | undefined,
): MintedTokens | undefined {
  if (!secret?.data?.[dockerConfigKey] || !status?.refreshedAt || status.hosts.length === 0) return undefined;
  const config = parseDockerConfig(Buffer.from(secret.data[dockerConfigKey], "base64").toString("utf8"));
  if (!config) return undefined;
  const expiresAt = status.expiresAt ? new Date(status.expiresAt) : undefined;
  const tokens: RegistryToken[] = [];
  for (const host of status.hosts) {
    const entry = config.auths[host];
    if (!entry?.username || !entry.password) return undefined;
    tokens.push({
      host,
      username: entry.username,
      password: entry.password,
      ...(expiresAt ? { expiresAt } : {}),
    });
  }
  return { tokens, mintedAt: new Date(status.refreshedAt) };
}

/** The short, non-reversible form of a source identity kept in status.sources[].identity. */
export function identityFingerprint(identity: string): string {
  return createHash("sha256").update(identity).digest("hex").slice(0, 16);
}
