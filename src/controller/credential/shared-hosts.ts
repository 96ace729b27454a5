import { CredentialError } from "../../providers/errors.js";
import { registryOf } from "../../providers/registry-host.js";
import type { SourceResult } from "./mint-sources.js";

/**
 * Fails every source that minted a login for a registry an earlier source of the same resource
 * minted one for (Docker Hub's docker.io and index.docker.io count as one): the Secret holds one
 * login per registry, so one of them would silently be lost. Such a source gets a non-retryable
 * InvalidSpec naming the host and the other source, and loses its logins. Returns their indexes.
 */
export function refuseSharedHosts(results: SourceResult[]): Set<number> {
  const writer = new Map<string, { index: number; label: string; host: string }>();
  const refused = new Set<number>();
  for (const result of results) {
    const tokens = result.minted?.tokens ?? [];
    const clash = tokens
      .map((t) => ({ host: t.host, earlier: writer.get(registryOf(t.host)) }))
      .find((c) => c.earlier);
    if (clash?.earlier) {
      const { earlier } = clash;
      const same = earlier.host === clash.host ? "" : ` as ${earlier.host}, the same registry`;
      result.error = new CredentialError(
        "InvalidSpec",
        `registry host ${clash.host} is also written by spec.sources[${earlier.index}] (${earlier.label})${same}; a Secret holds one login per registry, so remove the host from one of the two sources`,
        false,
      );
      delete result.minted;
      refused.add(result.index);
      continue;
    }
    for (const token of tokens)
      writer.set(registryOf(token.host), { index: result.index, label: result.label, host: token.host });
  }
  return refused;
}
