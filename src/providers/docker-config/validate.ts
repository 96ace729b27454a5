// Semantic checks of a dockerConfig source that the CRD schema cannot express.
import type { DockerConfigSource } from "../../api/v1alpha1.js";
import { hostListProblems } from "../basic/validate.js";

/** One message per problem of the source; empty when it is valid. */
export function validateDockerConfigSource(spec: DockerConfigSource): string[] {
  const problems: string[] = [];
  if (!spec.secretRef?.name) problems.push("secretRef.name must name a Secret");
  if (spec.hosts !== undefined) {
    if (spec.hosts.length === 0) problems.push("hosts is empty; omit it to take every entry of the Secret");
    else problems.push(...hostListProblems("hosts", spec.hosts));
  }
  return problems;
}
