// Mirror aliases: extra hosts under which a source's one login is also written (e.g. docker.io for
// a pull-through cache that containerd mirrors docker.io to). They belong to the source, whatever
// its provider; the operator never contacts them.
import type { CredentialSource } from "../api/v1alpha1.js";
import { CredentialError } from "./errors.js";
import type { RegistryToken } from "./provider.js";
import { registryHostProblem, registryOf } from "./registry-host.js";

/** The acknowledgement aliases need: whenever containerd falls back from the mirror, it sends the login upstream. */
const aliasesAcknowledgement = "SendsTokenUpstreamWhenMirrorFails";

/**
 * The problems of a source's aliases, each starting with the field ("aliases…"), given the hosts
 * its provider plans (placeholders, containing "<", stand for hosts only a mint tells). Empty when
 * it has none or they are valid.
 */
export function aliasProblems(source: CredentialSource, plannedHosts: readonly string[]): string[] {
  const aliases = source.aliases;
  if (aliases === undefined) {
    return source.aliasesAcknowledgement === undefined
      ? []
      : ["aliasesAcknowledgement is set, but there are no aliases"];
  }
  const problems: string[] = [];
  if (source.aliasesAcknowledgement !== aliasesAcknowledgement)
    problems.push(
      `aliases need aliasesAcknowledgement: ${aliasesAcknowledgement}, since containerd sends this source's login to the alias host itself whenever it falls back from the mirror`,
    );
  const seen = new Set<string>();
  for (const alias of aliases) {
    const problem = registryHostProblem(alias);
    if (problem) problems.push(`aliases: ${problem}`);
    else if (seen.has(registryOf(alias)))
      problems.push(
        `aliases lists ${JSON.stringify(alias)} twice (Docker Hub's docker.io and index.docker.io are one registry)`,
      );
    else if (plannedHosts.some((host) => registryOf(host) === registryOf(alias)))
      problems.push(`aliases lists ${JSON.stringify(alias)}, which the source writes anyway`);
    seen.add(registryOf(alias));
  }
  if (plannedHosts.length > 1)
    problems.push(
      `aliases need a source that writes exactly one login, but this one writes ${plannedHosts.length} (${plannedHosts.join(", ")}); split it into one source per registry`,
    );
  return problems;
}

/**
 * The tokens plus a copy of the source's one login under each alias (the tokens as they are
 * without aliases). Throws a non-retryable InvalidSpec when the source has aliases but did not
 * produce exactly one login, or produced one for an alias host.
 */
export function withAliases(source: CredentialSource, tokens: readonly RegistryToken[]): RegistryToken[] {
  const aliases = source.aliases ?? [];
  if (aliases.length === 0) return [...tokens];
  const [login, ...more] = tokens;
  if (!login || more.length > 0)
    throw new CredentialError(
      "InvalidSpec",
      `aliases need a source that writes exactly one login, but this one wrote ${tokens.length} (${tokens.map((t) => t.host).join(", ")}); split it into one source per registry`,
      false,
    );
  const clash = aliases.find((alias) => registryOf(alias) === registryOf(login.host));
  if (clash !== undefined)
    throw new CredentialError("InvalidSpec", `aliases lists ${clash}, which the source writes anyway`, false);
  return [login, ...aliases.map((host) => ({ ...login, host }))];
}

/** The tokens without those written under the source's aliases: what its provider itself minted. */
export function withoutAliases(source: CredentialSource, tokens: readonly RegistryToken[]): RegistryToken[] {
  const aliases = new Set(source.aliases ?? []);
  return tokens.filter((token) => !aliases.has(token.host));
}
