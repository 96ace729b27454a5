// TypeScript shapes of the regcred.dev/v1alpha1 API. The CRD manifests under deploy/crds/ are the
// source of truth for validation; these types describe objects that passed it.
import type { V1ObjectMeta } from "@kubernetes/client-node";

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

/**
 * A reference to a key-holding Secret. In a RegistryCredential it always resolves in the resource's
 * own namespace (the schema has no namespace field); in a ClusterRegistryCredential `namespace`
 * names it, defaulting to the operator's namespace.
 */
export interface SecretReference {
  name: string;
  namespace?: string;
}

/** Static AWS keys read from a Secret. Key names default to the AWS environment variable names. */
export interface AwsSecretReference extends SecretReference {
  accessKeyIdKey?: string;
  secretAccessKeyKey?: string;
  sessionTokenKey?: string;
}

/** A ServiceAccount whose TokenRequest token is exchanged for cloud credentials (per-tenant federation). */
export interface AwsServiceAccountReference {
  name: string;
  /** ClusterRegistryCredential only; defaults to the operator's namespace. */
  namespace?: string;
  /** Role to assume with the token; defaults to the ServiceAccount's eks.amazonaws.com/role-arn annotation. */
  roleArn?: string;
  /** Token audience; defaults to sts.amazonaws.com. */
  audience?: string;
}

export interface EcrAuth {
  secretRef?: AwsSecretReference;
  serviceAccountRef?: AwsServiceAccountReference;
}

export interface AssumeRole {
  roleArn: string;
  externalId?: string;
  sessionName?: string;
}

export interface EcrSource {
  region: string;
  /** Registry (account) IDs; defaults to the caller's own account. */
  registryIds?: string[];
  /** Omitted: the operator's ambient identity (default AWS credential chain). */
  auth?: EcrAuth;
  assumeRole?: AssumeRole;
}

export interface GarSecretReference extends SecretReference {
  /** Key holding a service-account key JSON or an external_account JSON; defaults to credentials.json. */
  key?: string;
}

export interface GarServiceAccountReference {
  name: string;
  /** ClusterRegistryCredential only; defaults to the operator's namespace. */
  namespace?: string;
  /** The workload identity provider audience, //iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/providers/X. */
  audience: string;
}

export interface GarAuth {
  secretRef?: GarSecretReference;
  serviceAccountRef?: GarServiceAccountReference;
}

export interface Impersonation {
  /** Email of the Google service account to impersonate. */
  serviceAccount: string;
  delegates?: string[];
}

export interface GarSource {
  /** Registry hosts, e.g. europe-west1-docker.pkg.dev or gcr.io. */
  registries: string[];
  /** Omitted: the operator's ambient Application Default Credentials. */
  auth?: GarAuth;
  impersonate?: Impersonation;
}

/** Exactly one provider block is set (enforced by CEL). */
export interface CredentialSource {
  ecr?: EcrSource;
  gar?: GarSource;
}

export interface SecretTemplate {
  /** Defaults to the RegistryCredential's name. */
  name?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RefreshPolicy {
  /** Fraction of a token's lifetime after which it is renewed; default 0.5. */
  lifetimeFraction?: number;
  /** Random spread applied to the renewal point, as a fraction of the lifetime; default 0.1. */
  jitterFraction?: number;
  /** Go-style durations ("30s", "5m", "1h30m"). Defaults: 1m and 6h. */
  minInterval?: string;
  maxInterval?: string;
}

export type DeletionPolicy = "Delete" | "Retain";

export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

/** A Kubernetes label selector; an empty selector matches everything. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** Which ServiceAccounts get the Secret in their imagePullSecrets. Omitted: none are patched. */
export interface ServiceAccountSelection {
  names?: string[];
  selector?: LabelSelector;
  all?: boolean;
}

/**
 * Opt-in pod admission: new pods in targeted namespaces get the Secret added at admission.
 * AdmissionPolicy (default) uses a MutatingAdmissionPolicy inside the apiserver; Webhook uses the
 * operator's mutating webhook.
 */
export interface PodAdmission {
  enabled: boolean;
  mechanism?: "AdmissionPolicy" | "Webhook";
}

export interface RegistryCredentialSpec {
  sources: CredentialSource[];
  secret?: SecretTemplate;
  refresh?: RefreshPolicy;
  deletionPolicy?: DeletionPolicy;
  serviceAccounts?: ServiceAccountSelection;
  podAdmission?: PodAdmission;
}

/** Namespaces a ClusterRegistryCredential writes into: (names ∪ selector matches) − exclude. */
export interface NamespaceSelection {
  names?: string[];
  selector?: LabelSelector;
  exclude?: string[];
}

export interface ClusterRegistryCredentialSpec extends RegistryCredentialSpec {
  namespaces: NamespaceSelection;
}

export type ConditionStatus = "True" | "False" | "Unknown";

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface SourceStatus {
  /** Index into spec.sources. */
  index: number;
  provider: string;
  hosts: string[];
  expiresAt?: string;
  /** When this source's logins were minted. */
  refreshedAt?: string;
  /** Opaque, non-secret identity of the credentials used (no key material). */
  identity?: string;
  /** HMAC of the logins as written, keyed by the operator's key (see recover-tokens.ts). */
  loginDigest?: string;
}

export interface RegistryCredentialStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  sources?: SourceStatus[];
  /** Earliest expiry over all sources. */
  expiresAt?: string;
  lastRefreshTime?: string;
  nextRefreshTime?: string;
  secretName?: string;
}

export interface NamespaceFailure {
  namespace: string;
  reason: string;
  message: string;
}

export interface ClusterRegistryCredentialStatus extends RegistryCredentialStatus {
  namespaces?: { targeted: number; inSync: number; failed: number };
  /** Up to 20 failing namespaces, with reasons. */
  failures?: NamespaceFailure[];
}

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
} as const;
export type ReadyReason = (typeof readyReasons)[keyof typeof readyReasons];
