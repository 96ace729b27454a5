import type { DockerConfig } from "../secrets/dockerconfig.js";

const mask = "****";

/** Fields of an auths entry that may be shown; every other value is a secret. */
const visibleFields = new Set(["username", "email"]);

/** A copy of a dockerconfig with every secret value (password, auth, identitytoken, …) replaced by ****. */
export function maskDockerConfig(config: DockerConfig): { auths: Record<string, Record<string, unknown>> } {
  const auths: Record<string, Record<string, unknown>> = {};
  for (const [host, entry] of Object.entries(config.auths)) {
    const masked: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(entry as unknown as Record<string, unknown>)) {
      masked[field] = visibleFields.has(field) ? value : mask;
    }
    auths[host] = masked;
  }
  return { auths };
}
