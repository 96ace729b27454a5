import type { RegistryToken } from "../providers/provider.js";

interface DockerAuthEntry {
  username: string;
  password: string;
  auth: string;
}

export interface DockerConfig {
  auths: Record<string, DockerAuthEntry>;
}

/**
 * Builds the `.dockerconfigjson` document for the given logins, with hosts in sorted order so equal
 * input gives equal bytes. Throws when there are no logins or a login lacks host, username or
 * password: an empty or partial document must never be written.
 */
export function buildDockerConfig(tokens: RegistryToken[]): string {
  if (tokens.length === 0) throw new Error("refusing to build a dockerconfigjson with no registry logins");
  const auths: Record<string, DockerAuthEntry> = {};
  for (const token of [...tokens].sort((a, b) => a.host.localeCompare(b.host))) {
    if (!token.host || !token.username || !token.password) {
      throw new Error(`refusing to build a dockerconfigjson with an incomplete login for "${token.host}"`);
    }
    auths[token.host] = {
      username: token.username,
      password: token.password,
      auth: Buffer.from(`${token.username}:${token.password}`).toString("base64"),
    };
  }
  return JSON.stringify({ auths } satisfies DockerConfig);
}

/** Parses a `.dockerconfigjson` document; returns undefined when it is not one. */
export function parseDockerConfig(text: string): DockerConfig | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!parsed || typeof parsed !== "object" || !("auths" in parsed)) return undefined;
    const auths = (parsed as { auths: unknown }).auths;
    if (!auths || typeof auths !== "object") return undefined;
    return parsed as DockerConfig;
  } catch {
    return undefined;
  }
}
