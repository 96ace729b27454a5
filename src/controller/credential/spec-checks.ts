import type { CredentialSource, RegistryCredentialSpec } from "../../api/v1alpha1.js";
import { bindSource, providerList } from "../../providers/registry.js";
import { secretTemplateProblems } from "../../secrets/metadata-keys.js";
import { type ResolvedRefreshPolicy, resolveRefreshPolicy } from "../../tokens/refresh-schedule.js";

/** The spec problems of every source (empty when all are valid), each prefixed with its path. */
function sourceProblems(sources: readonly CredentialSource[]): string[] {
  if (sources.length === 0) return ["spec.sources: at least one source is required"];
  return sources.flatMap((source, index) => {
    const bound = bindSource(source);
    if (!bound) return [`spec.sources[${index}]: set exactly one provider block (${providerList()})`];
    return bound.validate().map((problem) => `spec.sources[${index}].${bound.name}: ${problem}`);
  });
}

/**
 * The checks the CRD schema cannot make, shared by both credential kinds and `regcred render`:
 * the refresh policy, the extra Secret metadata and every source. Returns the resolved policy, or
 * one message per problem (each prefixed with its field path). Calls no cloud.
 */
export function checkSpec(
  spec: RegistryCredentialSpec,
): { policy: ResolvedRefreshPolicy } | { problems: string[] } {
  let policy: ResolvedRefreshPolicy | undefined;
  const problems: string[] = [];
  try {
    policy = resolveRefreshPolicy(spec.refresh);
  } catch (error) {
    problems.push(`spec.refresh: ${(error as Error).message}`);
  }
  problems.push(...secretTemplateProblems(spec.secret?.labels, spec.secret?.annotations));
  problems.push(...sourceProblems(spec.sources ?? []));
  return problems.length > 0 || !policy ? { problems } : { policy };
}
