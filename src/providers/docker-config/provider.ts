// The logins of an existing dockerconfigjson Secret, merged into the Secret this operator writes.
// Calls no registry, and refuses a Secret this operator writes (its output must not become its input).
import type { DockerConfigSource } from "../../api/v1alpha1.js";
import { annotations, managedByLabel, managedByValue } from "../../secrets/ownership.js";
import { CredentialError } from "../errors.js";
import type { Provider, ReferencedSecret, RegistryToken, ResolvedSource, SourceAccess } from "../provider.js";
import { registryOf } from "../registry-host.js";
import { type AuthEntry, readAuths } from "./auths.js";
import { dockerConfigInfo } from "./info.js";
import { validateDockerConfigSource } from "./validate.js";

const dockerConfigKey = ".dockerconfigjson";

const invalid = (message: string) => new CredentialError("InvalidSpec", message, false);

/** Throws InvalidSpec when the Secret carries this operator's marks (its label or its owner annotations). */
function refuseManaged(secret: ReferencedSecret, where: string): void {
  const owner = secret.annotations?.[annotations.owner];
  const marked =
    secret.labels?.[managedByLabel] === managedByValue ||
    [annotations.owner, annotations.ownerUid, annotations.signature].some(
      (key) => secret.annotations?.[key] !== undefined,
    );
  if (marked)
    throw invalid(
      `${where} is written by ${managedByValue}${owner ? ` for ${owner}` : ""}; a dockerConfig source cannot read a Secret this operator manages, since its own output would become its input`,
    );
}

/**
 * The entries to write: those whose registry `hosts` names (an exact key before a Docker Hub
 * equivalent), each under the listed host; else every entry under the host its key reads as.
 * Throws InvalidSpec naming the first unusable chosen entry, or a listed host the Secret lacks.
 */
function choose(entries: AuthEntry[], hosts: readonly string[] | undefined, where: string): RegistryToken[] {
  const usable = (entry: AuthEntry): RegistryToken => {
    if ("problem" in entry) throw invalid(`${where}: ${entry.problem}`);
    return { host: entry.host, username: entry.username, password: entry.password };
  };
  if (!hosts) {
    if (entries.length === 0) throw invalid(`${where} holds no auths entries`);
    const tokens = entries.map(usable);
    const keyOf = new Map<string, string>();
    entries.forEach((entry, index) => {
      const host = tokens[index]?.host as string;
      const earlier = keyOf.get(host);
      if (earlier !== undefined)
        throw invalid(
          `${where}: the auths keys ${JSON.stringify(earlier)} and ${JSON.stringify(entry.key)} both name ${host}; list the hosts to take in hosts, or remove one`,
        );
      keyOf.set(host, entry.key);
    });
    return tokens;
  }
  return hosts.map((host) => {
    const entry =
      entries.find((e) => e.host === host) ??
      entries.find((e) => e.host !== undefined && registryOf(e.host) === registryOf(host));
    if (!entry) {
      const known = entries.flatMap((e) => (e.host ? [e.host] : []));
      throw invalid(
        `${where} has no auths entry for ${host}${known.length ? ` (it has ${[...new Set(known)].sort().join(", ")})` : ""}`,
      );
    }
    return { ...usable(entry), host };
  });
}

/** The dockerConfig provider; it needs no clients. */
export function createDockerConfigProvider(): Provider<DockerConfigSource> {
  return {
    ...dockerConfigInfo,
    async resolve(spec: DockerConfigSource, access: SourceAccess): Promise<ResolvedSource> {
      const problems = validateDockerConfigSource(spec);
      if (problems.length > 0) throw invalid(problems.join("; "));
      const secret = await access.readSecret(spec.secretRef.name);
      const where = `Secret ${access.namespace}/${spec.secretRef.name}`;
      refuseManaged(secret, where);
      const raw = secret.data[dockerConfigKey];
      if (raw === undefined)
        throw invalid(
          `${where} has no key ${dockerConfigKey} (a dockerConfig source reads kubernetes.io/dockerconfigjson Secrets)`,
        );
      const entries = readAuths(raw.toString("utf8"));
      if (typeof entries === "string") throw invalid(`${where} key ${dockerConfigKey} ${entries}`);
      const tokens = choose(entries, spec.hosts, where);
      const hosts = spec.hosts ? [...new Set(spec.hosts)].sort().join(",") : "all";
      return {
        identity: `dockerConfig|${hosts}|secret:${access.namespace}/${spec.secretRef.name}@${secret.uid}:${secret.resourceVersion}`,
        nonExpiring: true,
        async mint(): Promise<RegistryToken[]> {
          return tokens.map((token) => ({ ...token }));
        },
      };
    },
  };
}
