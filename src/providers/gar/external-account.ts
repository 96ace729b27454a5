// A workload identity federation (external_account) configuration from a tenant's Secret, checked
// against the operator's policy before google-auth-library may act on it.
import type { ExternalAccountClientOptions } from "google-auth-library";
import { CredentialError } from "../errors.js";
import { type GoogleEndpoints, isUnder, normalizeUrl } from "./endpoints.js";

function invalid(where: string, problem: string): CredentialError {
  return new CredentialError(
    "InvalidSpec",
    `${where} holds an external_account configuration that ${problem}`,
  );
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value !== "";
}

/** The token exchange endpoint google-auth-library would use for this configuration. */
function effectiveTokenUrl(json: Record<string, unknown>): string | undefined {
  if (json.token_url !== undefined) return nonEmptyString(json.token_url) ? json.token_url : undefined;
  const universe = json.universe_domain ?? "googleapis.com";
  return nonEmptyString(universe) ? `https://sts.${universe}/v1/token` : undefined;
}

/**
 * Throws Forbidden unless the source may use the operator's ambient identity: an external_account
 * credential_source (file, url, executable, aws) is read from the operator's own environment, so
 * a tenant could otherwise borrow the operator's files, metadata server or IMDS credentials.
 */
export function assertExternalAccountAllowed(where: string, ambientIdentityAllowed: boolean): void {
  if (ambientIdentityAllowed) return;
  throw new CredentialError(
    "Forbidden",
    `${where} holds an external_account configuration; its credential_source is read from the operator's own environment (files, URLs such as a metadata server, executables, AWS IMDS), which counts as the operator's ambient identity and the operator's policy does not allow that here; use auth.serviceAccountRef to federate a Kubernetes ServiceAccount token instead`,
    false,
  );
}

/**
 * Checks a parsed `type: external_account` JSON and returns it as google-auth-library options.
 * Throws InvalidSpec when audience, subject_token_type or credential_source is missing, when its
 * token exchange endpoint is not `endpoints.stsTokenUrl`, or when a
 * service_account_impersonation_url lies outside `endpoints.iamCredentialsUrl`.
 */
export function parseExternalAccount(
  json: Record<string, unknown>,
  where: string,
  endpoints: GoogleEndpoints,
): ExternalAccountClientOptions {
  if (!nonEmptyString(json.audience)) throw invalid(where, "lacks audience");
  if (!nonEmptyString(json.subject_token_type)) throw invalid(where, "lacks subject_token_type");
  const source = json.credential_source;
  if (typeof source !== "object" || source === null || Array.isArray(source))
    throw invalid(where, "lacks a credential_source object");
  const tokenUrl = effectiveTokenUrl(json);
  if (tokenUrl === undefined || normalizeUrl(tokenUrl) !== normalizeUrl(endpoints.stsTokenUrl))
    throw invalid(
      where,
      `exchanges tokens somewhere other than ${endpoints.stsTokenUrl}; set token_url to it (or leave it out)`,
    );
  const impersonationUrl = json.service_account_impersonation_url;
  if (
    impersonationUrl !== undefined &&
    !(nonEmptyString(impersonationUrl) && isUnder(impersonationUrl, endpoints.iamCredentialsUrl))
  )
    throw invalid(where, `has a service_account_impersonation_url outside ${endpoints.iamCredentialsUrl}`);
  return { ...json, token_url: tokenUrl } as unknown as ExternalAccountClientOptions;
}
