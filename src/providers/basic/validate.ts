// Semantic checks of a basic source that the CRD schema cannot express.
import type { BasicSource } from "../../api/v1alpha1.js";
import { registryHostProblem, registryOf } from "../registry-host.js";

/** Secret data keys read when the spec names none. */
export const defaultBasicKeys = { username: "username", password: "password" } as const;

/** Kubernetes Secret data keys: letters, digits, '-', '_' and '.'. */
const secretKey = /^[-._a-zA-Z0-9]+$/;

/**
 * Problems with a docker login username, wherever it comes from (`where` names it): the
 * dockerconfigjson `auth` field is base64 of "username:password", so a colon would split it wrongly.
 */
export function usernameProblem(username: string, where: string): string | undefined {
  if (username.includes(":")) return `${where} holds a colon, which a docker login username cannot contain`;
  if (/[\s\p{Cc}]/u.test(username)) return `${where} holds whitespace or control characters`;
  return undefined;
}

/** Registry hosts given in a spec list (`field`): each bare, none twice (Docker Hub's names count as one). */
export function hostListProblems(field: string, hosts: readonly string[]): string[] {
  const problems = hosts.flatMap((host) => {
    const problem = registryHostProblem(host);
    return problem ? [`${field}: ${problem}`] : [];
  });
  const seen = new Map<string, string>();
  for (const host of hosts) {
    const earlier = seen.get(registryOf(host));
    if (earlier !== undefined)
      problems.push(
        earlier === host
          ? `${field} lists ${JSON.stringify(host)} more than once`
          : `${field} lists ${JSON.stringify(earlier)} and ${JSON.stringify(host)}, which the kubelet treats as the same registry (Docker Hub); keep one`,
      );
    else seen.set(registryOf(host), host);
  }
  return problems;
}

/** One message per problem of the source; empty when it is valid. */
export function validateBasicSource(spec: BasicSource): string[] {
  const problems: string[] = [];
  if (!spec.registries || spec.registries.length === 0)
    problems.push("registries must list at least one registry host, e.g. docker.io");
  else problems.push(...hostListProblems("registries", spec.registries));
  if (spec.username !== undefined) {
    if (spec.username.trim() === "")
      problems.push("username is empty; omit it to read the username from the Secret");
    else {
      const problem = usernameProblem(spec.username, "username");
      if (problem) problems.push(problem);
    }
  }
  const ref = spec.secretRef;
  if (!ref?.name) problems.push("secretRef.name must name a Secret");
  if (spec.username !== undefined && ref?.usernameKey !== undefined)
    problems.push("set username or secretRef.usernameKey, not both");
  for (const [field, key] of Object.entries({ usernameKey: ref?.usernameKey, passwordKey: ref?.passwordKey }))
    if (key !== undefined && !secretKey.test(key))
      problems.push(
        `secretRef.${field} ${JSON.stringify(key)} is not a valid Secret data key (letters, digits, '-', '_' and '.')`,
      );
  if (
    spec.username === undefined &&
    (ref?.usernameKey ?? defaultBasicKeys.username) === (ref?.passwordKey ?? defaultBasicKeys.password)
  )
    problems.push(
      "secretRef.usernameKey and secretRef.passwordKey name the same Secret key; they must differ",
    );
  return problems;
}
