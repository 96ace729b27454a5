import { createHash } from "node:crypto";
import type { V1Secret } from "@kubernetes/client-node";
import type { CredentialSource, SourceStatus } from "../../api/v1alpha1.js";
import type { RegistryToken } from "../../providers/provider.js";
import { dockerConfigKey } from "../../secrets/desired-secret.js";
import { parseDockerConfig } from "../../secrets/dockerconfig.js";
import type { OperatorKey } from "../../security/operator-key.js";
import type { MintedTokens } from "../../tokens/token-cache.js";
import { canonicalJson } from "../../util/canonical-json.js";

/** What a source's login digest is bound to besides the logins: which resource and which source spec. */
export interface LoginBinding {
  ownerUid: string;
  source: CredentialSource;
}

/** The status fields a digest covers; taken from the status entry that carries the digest. */
type DigestedEntry = Pick<SourceStatus, "index" | "identity" | "refreshedAt" | "expiresAt">;

function loginParts(binding: LoginBinding, entry: DigestedEntry, tokens: readonly RegistryToken[]): string[] {
  const logins = [...tokens]
    .sort((a, b) => a.host.localeCompare(b.host))
    .flatMap((t) => [t.host, t.username, t.password]);
  return [
    binding.ownerUid,
    String(entry.index),
    canonicalJson(binding.source),
    entry.identity ?? "",
    entry.refreshedAt ?? "",
    entry.expiresAt ?? "",
    ...logins,
  ];
}

/**
 * The keyed digest a status entry carries for the logins a source wrote (`entry` holds the other
 * fields of that status entry). Only the holder of `key` can compute it, so tenants who read
 * status cannot test guesses against it, and nothing they write into a Secret can match it.
 */
export function loginDigest(
  key: OperatorKey,
  binding: LoginBinding,
  entry: DigestedEntry,
  tokens: readonly RegistryToken[],
): string {
  return key.digest("logins", loginParts(binding, entry, tokens));
}

/**
 * Reads back the logins a source last wrote, from a managed Secret and the source's status entry:
 * how a restarted operator reuses tokens without calling the cloud, and how a failing source keeps
 * its last login. Returns them only when every host the entry lists has a string username and
 * password in the Secret and together they match the entry's loginDigest under `key` and
 * `binding`; undefined otherwise (a Secret someone else wrote or changed, a source whose spec
 * changed since, a status without digest or mint time).
 */
export function recoverSourceTokens(
  secret: V1Secret | undefined,
  status: SourceStatus | undefined,
  key: OperatorKey,
  binding: LoginBinding,
): MintedTokens | undefined {
  if (
    !secret?.data?.[dockerConfigKey] ||
    !status?.refreshedAt ||
    !status.loginDigest ||
    status.hosts.length === 0
  )
    return undefined;
  const config = parseDockerConfig(Buffer.from(secret.data[dockerConfigKey], "base64").toString("utf8"));
  if (!config) return undefined;
  const expiresAt = status.expiresAt ? new Date(status.expiresAt) : undefined;
  const tokens: RegistryToken[] = [];
  for (const host of status.hosts) {
    const entry: unknown = Object.hasOwn(config.auths, host) ? config.auths[host] : undefined;
    if (typeof entry !== "object" || entry === null) return undefined;
    const { username, password } = entry as { username?: unknown; password?: unknown };
    if (typeof username !== "string" || typeof password !== "string" || !username || !password)
      return undefined;
    tokens.push({ host, username, password, ...(expiresAt ? { expiresAt } : {}) });
  }
  if (!key.verify("logins", loginParts(binding, status, tokens), status.loginDigest)) return undefined;
  return { tokens, mintedAt: new Date(status.refreshedAt) };
}

/** The short, non-reversible form of a source identity kept in status.sources[].identity. */
export function identityFingerprint(identity: string): string {
  return createHash("sha256").update(identity).digest("hex").slice(0, 16);
}
