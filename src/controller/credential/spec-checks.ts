import type { CredentialSource, RegistryCredentialSpec } from "../../api/v1alpha1.js";
import { bindSource, providerList } from "../../providers/registry.js";
import { registryOf } from "../../providers/registry-host.js";
import { aliasProblems } from "../../providers/source-aliases.js";
import { secretTemplateProblems } from "../../secrets/metadata-keys.js";
import { type ResolvedRefreshPolicy, resolveRefreshPolicy } from "../../tokens/refresh-schedule.js";
import { type ResolvedVerifyPolicy, resolveVerifyPolicy } from "../../verify/verify-policy.js";

/** The spec problems of every source (empty when all are valid), each prefixed with its path. */
function sourceProblems(sources: readonly CredentialSource[]): string[] {
  if (sources.length === 0) return ["spec.sources: at least one source is required"];
  const problems = sources.flatMap((source, index) => {
    const bound = bindSource(source);
    if (!bound) return [`spec.sources[${index}]: set exactly one provider block (${providerList()})`];
    return [
      ...bound.validate().map((problem) => `spec.sources[${index}].${bound.name}: ${problem}`),
      ...aliasProblems(source, bound.plannedLogins().hosts).map(
        (problem) => `spec.sources[${index}].${problem}`,
      ),
    ];
  });
  return [...problems, ...sharedHostProblems(sources)];
}

/**
 * Registries two sources would both write, as far as the spec tells (planned hosts that are exact,
 * and aliases): a Secret holds one login per registry. Docker Hub's two names count as one.
 */
function sharedHostProblems(sources: readonly CredentialSource[]): string[] {
  const writer = new Map<string, { index: number; host: string }>();
  const problems: string[] = [];
  sources.forEach((source, index) => {
    const planned = bindSource(source)?.plannedLogins().hosts ?? [];
    const hosts = [...planned.filter((host) => !host.includes("<")), ...(source.aliases ?? [])];
    for (const host of new Set(hosts)) {
      const earlier = writer.get(registryOf(host));
      if (earlier && earlier.index !== index)
        problems.push(
          `spec.sources[${index}] writes registry host ${host}, as spec.sources[${earlier.index}] does${earlier.host === host ? "" : ` (as ${earlier.host}, the same registry)`}; a Secret holds one login per registry, so remove it from one of them`,
        );
      else writer.set(registryOf(host), { index, host });
    }
  });
  return problems;
}

/**
 * The checks the CRD schema cannot make, shared by both credential kinds and `regcred render`:
 * the refresh and verify policies, the extra Secret metadata and every source. Returns the
 * resolved policies, or one message per problem (each prefixed with its field path). Calls no cloud.
 */
export function checkSpec(
  spec: RegistryCredentialSpec,
): { policy: ResolvedRefreshPolicy; verify: ResolvedVerifyPolicy } | { problems: string[] } {
  let policy: ResolvedRefreshPolicy | undefined;
  let verify: ResolvedVerifyPolicy | undefined;
  const problems: string[] = [];
  try {
    policy = resolveRefreshPolicy(spec.refresh);
  } catch (error) {
    problems.push(`spec.refresh: ${(error as Error).message}`);
  }
  try {
    verify = resolveVerifyPolicy(spec.verify);
  } catch (error) {
    problems.push(`spec.verify: ${(error as Error).message}`);
  }
  problems.push(...secretTemplateProblems(spec.secret?.labels, spec.secret?.annotations));
  problems.push(...sourceProblems(spec.sources ?? []));
  return problems.length > 0 || !policy || !verify ? { problems } : { policy, verify };
}
