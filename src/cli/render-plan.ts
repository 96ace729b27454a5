import type { CredentialSource } from "../api/v1alpha1.js";
import { buildDockerConfig, parseDockerConfig } from "../secrets/dockerconfig.js";
import { maskDockerConfig } from "./mask.js";

/** Stands in for the ECR caller's account id until a mint reveals it. */
export const callerAccountPlaceholder = "<caller account>";

/** The hosts a source would write, and whether they are exact or a pattern known only after a mint. */
export interface PlannedSource {
  index: number;
  provider: "ecr" | "gar";
  hosts: string[];
  username: string;
}

export function plannedSource(source: CredentialSource, index: number): PlannedSource | undefined {
  if (source.ecr) {
    const { region, registryIds } = source.ecr;
    const accounts = registryIds && registryIds.length > 0 ? registryIds : [callerAccountPlaceholder];
    return {
      index,
      provider: "ecr",
      hosts: accounts.map((account) => `${account}.dkr.ecr.${region}.amazonaws.com`),
      username: "AWS",
    };
  }
  if (source.gar) {
    return { index, provider: "gar", hosts: [...source.gar.registries], username: "oauth2accesstoken" };
  }
  return undefined;
}

/** The masked dockerconfigjson document the sources would produce; placeholder secrets, then masked. */
export function renderMaskedDockerConfig(planned: PlannedSource[]): string {
  const tokens = planned.flatMap((source) =>
    source.hosts.map((host) => ({ host, username: source.username, password: "placeholder" })),
  );
  const config = parseDockerConfig(buildDockerConfig(tokens));
  if (!config) throw new Error("internal error: built dockerconfig did not parse");
  return JSON.stringify(maskDockerConfig(config), null, 2);
}
