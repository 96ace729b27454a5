// Semantic checks of an acr source that the CRD schema cannot express.
import type { AcrAuth, AcrSource } from "../../api/v1alpha1.js";

const registryHost = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$/;
const guid = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const repository = /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
/** Kubernetes Secret data keys: letters, digits, '-', '_' and '.'. */
const secretKey = /^[-._a-zA-Z0-9]+$/;

function registryProblems(registries: readonly string[] | undefined): string[] {
  if (!registries || registries.length === 0)
    return ["registries must list at least one registry login server, e.g. myregistry.azurecr.io"];
  const problems = registries.flatMap((host) =>
    registryHost.test(host)
      ? []
      : [
          `registry ${JSON.stringify(host)} must be a lower-case login server without scheme or path, e.g. myregistry.azurecr.io`,
        ],
  );
  for (const host of new Set(registries.filter((host, index) => registries.indexOf(host) !== index)))
    problems.push(`registry ${JSON.stringify(host)} is listed more than once`);
  return problems;
}

function guidProblem(field: string, value: string | undefined): string[] {
  return value === undefined || guid.test(value)
    ? []
    : [`${field} ${JSON.stringify(value)} must be a GUID, e.g. 00000000-0000-0000-0000-000000000000`];
}

function keyProblem(field: string, value: string | undefined): string[] {
  return value === undefined || secretKey.test(value)
    ? []
    : [`${field} ${JSON.stringify(value)} is not a valid Secret key (letters, digits, '-', '_' and '.')`];
}

function authProblems(auth: AcrAuth | undefined): string[] {
  if (auth === undefined) return [];
  const set = [auth.secretRef, auth.serviceAccountRef].filter((ref) => ref !== undefined).length;
  if (set !== 1)
    return [
      "auth must set exactly one of secretRef or serviceAccountRef (leave auth out to use the operator's own workload or managed identity)",
    ];
  const problems: string[] = [];
  const account = auth.serviceAccountRef;
  if (account) {
    if (!account.name) problems.push("auth.serviceAccountRef.name must name a ServiceAccount");
    problems.push(...guidProblem("auth.serviceAccountRef.clientId", account.clientId));
    problems.push(...guidProblem("auth.serviceAccountRef.tenantId", account.tenantId));
    if (account.audience !== undefined && account.audience.trim() === "")
      problems.push(
        "auth.serviceAccountRef.audience must not be empty (omit it for api://AzureADTokenExchange)",
      );
  }
  const secret = auth.secretRef;
  if (secret) {
    if (!secret.name) problems.push("auth.secretRef.name must name a Secret");
    if (!secret.clientId) problems.push("auth.secretRef.clientId must name the application (client) ID");
    else problems.push(...guidProblem("auth.secretRef.clientId", secret.clientId));
    if (!secret.tenantId) problems.push("auth.secretRef.tenantId must name the directory (tenant) ID");
    else problems.push(...guidProblem("auth.secretRef.tenantId", secret.tenantId));
    problems.push(...keyProblem("auth.secretRef.clientSecretKey", secret.clientSecretKey));
    problems.push(...keyProblem("auth.secretRef.certificateKey", secret.certificateKey));
    if (secret.clientSecretKey !== undefined && secret.clientSecretKey === secret.certificateKey)
      problems.push("auth.secretRef.clientSecretKey and certificateKey must name different keys");
  }
  return problems;
}

const tokenAudiences: readonly string[] = ["ContainerRegistry", "ResourceManager"];

/** Every semantic problem of an acr source, one message each; empty when valid. */
export function validateAcrSource(spec: AcrSource): string[] {
  const problems = [...registryProblems(spec.registries), ...authProblems(spec.auth)];
  if (spec.tokenAudience !== undefined && !tokenAudiences.includes(spec.tokenAudience))
    problems.push(
      `tokenAudience ${JSON.stringify(spec.tokenAudience)} must be ContainerRegistry or ResourceManager`,
    );
  for (const name of spec.repositories ?? [])
    if (!repository.test(name))
      problems.push(
        `repository ${JSON.stringify(name)} must be a lower-case repository path without tag or digest, e.g. team/app`,
      );
  return problems;
}
