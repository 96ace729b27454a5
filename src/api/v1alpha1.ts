// The regcred.dev/v1alpha1 API: names, condition reasons and the resource shapes. The spec and
// status types are generated from the CRD templates in deploy/schema/ (src/api/generated/), so they
// cannot drift from what the apiserver validates; `npm test` fails when they are stale.
import type { V1ObjectMeta } from "@kubernetes/client-node";
import type {
  ClusterRegistryCredentialSpec,
  ClusterRegistryCredentialStatus,
  Condition,
  RegistryCredentialSpec,
  RegistryCredentialStatus,
} from "./generated/v1alpha1.js";

export type * from "./generated/v1alpha1.js";

export const group = "regcred.dev";
export const version = "v1alpha1";
export const apiVersion = `${group}/${version}`;

export const registryCredentialNames = {
  kind: "RegistryCredential",
  plural: "registrycredentials",
} as const;

export const clusterRegistryCredentialNames = {
  kind: "ClusterRegistryCredential",
  plural: "clusterregistrycredentials",
} as const;

export type ConditionStatus = Condition["status"];

export interface ClusterRegistryCredential {
  apiVersion: typeof apiVersion;
  kind: typeof clusterRegistryCredentialNames.kind;
  metadata: V1ObjectMeta;
  spec: ClusterRegistryCredentialSpec;
  status?: ClusterRegistryCredentialStatus;
}

export interface RegistryCredential {
  apiVersion: typeof apiVersion;
  kind: typeof registryCredentialNames.kind;
  metadata: V1ObjectMeta;
  spec: RegistryCredentialSpec;
  status?: RegistryCredentialStatus;
}

/** Condition reasons of the Ready condition. */
export const readyReasons = {
  tokenRefreshed: "TokenRefreshed",
  providerError: "ProviderError",
  invalidSpec: "InvalidSpec",
  authSecretMissing: "AuthSecretMissing",
  secretConflict: "SecretConflict",
  expired: "Expired",
  forbidden: "Forbidden",
  /** Writing the Secret failed for another reason than a conflict or a refusal (e.g. the apiserver was unavailable). */
  writeFailed: "WriteFailed",
  /** Under spec.verify.mode Enforce, the registry refused (401 or 403) a new login, which was therefore not written. */
  registryRefused: "RegistryRefused",
} as const;
export type ReadyReason = (typeof readyReasons)[keyof typeof readyReasons];

/** Condition reasons of the Verified condition: what the registry said of the logins (spec.verify). */
export const verifiedReasons = {
  /** Every registry asked accepted its login (and served its canary image). */
  authenticated: "Authenticated",
  /** A registry answered 401: it does not accept the login. */
  unauthorized: "Unauthorized",
  /** A registry answered 403, or refused the canary image to a login it accepted. */
  forbidden: "Forbidden",
  /** A registry accepted the login but has no such canary image. */
  notFound: "NotFound",
  /** A registry could not be asked (network, TLS, timeout, an unexpected answer). */
  unreachable: "Unreachable",
  /** The operator may not ask (plain http, a private address outside its policy) or verification is off. */
  skipped: "Skipped",
} as const;
export type VerificationReason = (typeof verifiedReasons)[keyof typeof verifiedReasons];

/**
 * Set on a RegistryCredential or ClusterRegistryCredential to any new value to have every source
 * minted afresh and every Secret rewritten, once per value (status.lastRotation records the value
 * handled). `regcred rotate` sets it.
 */
export const rotateAnnotation = "regcred.dev/rotate";
