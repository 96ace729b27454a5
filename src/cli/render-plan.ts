import type { CredentialSource } from "../api/v1alpha1.js";
import { bindSource, type ProviderName } from "../providers/registry.js";
import { buildDockerConfig, parseDockerConfig } from "../secrets/dockerconfig.js";
import { maskDockerConfig } from "./mask.js";

/**
 * The hosts a source would write (exact, or with a placeholder known only after a mint or a read
 * of its Secret), its username (perhaps such a placeholder) and its mirror aliases, under which
 * the same login is written too.
 */
export interface PlannedSource {
  index: number;
  provider: ProviderName;
  hosts: string[];
  username: string;
  aliases?: string[];
}

/** What the source would write, from its provider's ProviderInfo; undefined without exactly one provider block. */
export function plannedSource(source: CredentialSource, index: number): PlannedSource | undefined {
  const bound = bindSource(source);
  if (!bound) return undefined;
  return {
    index,
    provider: bound.name,
    ...bound.plannedLogins(),
    ...(source.aliases?.length ? { aliases: [...source.aliases] } : {}),
  };
}

/** The masked dockerconfigjson document the sources would produce; placeholder secrets, then masked. */
export function renderMaskedDockerConfig(planned: PlannedSource[]): string {
  const tokens = planned.flatMap((source) =>
    [...source.hosts, ...(source.aliases ?? [])].map((host) => ({
      host,
      username: source.username,
      password: "placeholder",
    })),
  );
  const config = parseDockerConfig(buildDockerConfig(tokens));
  if (!config) throw new Error("internal error: built dockerconfig did not parse");
  return JSON.stringify(maskDockerConfig(config), null, 2);
}
