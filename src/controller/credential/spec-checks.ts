import type { RegistryCredentialSpec } from "../../api/v1alpha1.js";
import type { Providers } from "../../providers/registry.js";
import { secretTemplateProblems } from "../../secrets/metadata-keys.js";
import { type ResolvedRefreshPolicy, resolveRefreshPolicy } from "../../tokens/refresh-schedule.js";
import { validateSources } from "./mint-sources.js";

/**
 * The checks the CRD schema cannot make, shared by both credential kinds: the refresh policy, the
 * extra Secret metadata and every source. Returns the resolved policy, or one message listing every
 * problem (each prefixed with its field path).
 */
export function checkSpec(
  spec: RegistryCredentialSpec,
  providers: Providers,
): { policy: ResolvedRefreshPolicy } | { problem: string } {
  let policy: ResolvedRefreshPolicy | undefined;
  const problems: string[] = [];
  try {
    policy = resolveRefreshPolicy(spec.refresh);
  } catch (error) {
    problems.push(`spec.refresh: ${(error as Error).message}`);
  }
  problems.push(...secretTemplateProblems(spec.secret?.labels, spec.secret?.annotations));
  problems.push(...validateSources(spec.sources ?? [], providers));
  return problems.length > 0 || !policy ? { problem: problems.join("; ") } : { policy };
}
