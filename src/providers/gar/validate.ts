// Semantic checks of a gar source that the CRD schema cannot express.
import type { GarAuth, GarSource, Impersonation } from "../../api/v1alpha1.js";

/** Legacy Container Registry hosts. */
const containerRegistryHosts: readonly string[] = ["gcr.io", "us.gcr.io", "eu.gcr.io", "asia.gcr.io"];

/** `<location>-docker.pkg.dev`, location in lower-case letters, digits and inner dashes. */
const artifactRegistryHost = /^[a-z][a-z0-9-]*[a-z0-9]-docker\.pkg\.dev$/;

const serviceAccountEmail = /^[a-z0-9][a-z0-9._%+-]*@[a-z0-9][a-z0-9.-]*\.gserviceaccount\.com$/;

const workloadIdentityAudience =
  /^\/\/iam\.googleapis\.com\/projects\/\d+\/locations\/global\/workloadIdentityPools\/[a-z0-9][a-z0-9-]*\/providers\/[a-z0-9][a-z0-9-]*$/;

/** Kubernetes Secret data keys: letters, digits, '-', '_' and '.'. */
const secretKey = /^[-._a-zA-Z0-9]+$/;

/** Whether `host` is an Artifact Registry or Container Registry host this provider can log in to. */
function isGoogleRegistryHost(host: string): boolean {
  return artifactRegistryHost.test(host) || containerRegistryHosts.includes(host);
}

function hostProblem(host: string): string | undefined {
  if (isGoogleRegistryHost(host)) return undefined;
  const shown = JSON.stringify(host);
  if (/[/:]/.test(host))
    return `registry ${shown} must be a bare host name without scheme, port or path, e.g. europe-west1-docker.pkg.dev`;
  if (isGoogleRegistryHost(host.toLowerCase())) return `registry ${shown} must be written in lower case`;
  return `registry ${shown} is neither an Artifact Registry host (<location>-docker.pkg.dev, e.g. europe-west1-docker.pkg.dev) nor a Container Registry host (${containerRegistryHosts.join(", ")})`;
}

function registryProblems(registries: readonly string[] | undefined): string[] {
  if (!registries || registries.length === 0)
    return ["registries must list at least one registry host, e.g. europe-west1-docker.pkg.dev"];
  const problems = registries.flatMap((host) => hostProblem(host) ?? []);
  const duplicates = registries.filter((host, index) => registries.indexOf(host) !== index);
  for (const host of new Set(duplicates))
    problems.push(`registry ${JSON.stringify(host)} is listed more than once`);
  return problems;
}

function authProblems(auth: GarAuth | undefined): string[] {
  if (auth === undefined) return [];
  const set = [auth.secretRef, auth.serviceAccountRef].filter((ref) => ref !== undefined).length;
  if (set !== 1)
    return [
      "auth must set exactly one of secretRef or serviceAccountRef (leave auth out to use the operator's ambient identity)",
    ];
  const problems: string[] = [];
  if (auth.secretRef) {
    if (!auth.secretRef.name) problems.push("auth.secretRef.name must name a Secret");
    const key = auth.secretRef.key;
    if (key !== undefined && !secretKey.test(key))
      problems.push(
        `auth.secretRef.key ${JSON.stringify(key)} is not a valid Secret key (letters, digits, '-', '_' and '.')`,
      );
  }
  if (auth.serviceAccountRef) {
    if (!auth.serviceAccountRef.name) problems.push("auth.serviceAccountRef.name must name a ServiceAccount");
    const audience = auth.serviceAccountRef.audience;
    if (!workloadIdentityAudience.test(audience ?? ""))
      problems.push(
        `auth.serviceAccountRef.audience ${JSON.stringify(audience ?? "")} must be a workload identity provider, //iam.googleapis.com/projects/<project-number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>`,
      );
  }
  return problems;
}

function impersonationProblems(impersonation: Impersonation | undefined): string[] {
  if (impersonation === undefined) return [];
  const problems: string[] = [];
  if (!serviceAccountEmail.test(impersonation.serviceAccount ?? ""))
    problems.push(
      `impersonate.serviceAccount ${JSON.stringify(impersonation.serviceAccount ?? "")} must be a service account e-mail ending in .gserviceaccount.com, e.g. puller@my-project.iam.gserviceaccount.com`,
    );
  for (const delegate of impersonation.delegates ?? []) {
    if (!serviceAccountEmail.test(delegate))
      problems.push(
        `impersonate.delegates entry ${JSON.stringify(delegate)} must be a service account e-mail ending in .gserviceaccount.com`,
      );
  }
  return problems;
}

/** One message per problem of the source; empty when it is valid. */
export function validateGarSource(spec: GarSource): string[] {
  return [
    ...registryProblems(spec.registries),
    ...authProblems(spec.auth),
    ...impersonationProblems(spec.impersonate),
  ];
}
