import type { V1LabelSelector } from "@kubernetes/client-node";
import {
  apiVersion,
  type ClusterRegistryCredential,
  type ClusterRegistryCredentialStatus,
  type CredentialSource,
  type NamespaceFailure,
  type RegistryCredential,
} from "../../api/v1alpha1.js";
import type { SourceAccess } from "../../providers/provider.js";
import { ownerKey, type SecretOwner } from "../../secrets/ownership.js";
import type { ObjectRef } from "./custom-objects.js";

/** Either credential kind, as the shared pipeline sees it. */
export type CredentialResource = RegistryCredential | ClusterRegistryCredential;

/** The work-queue key of a credential resource: namespace only for RegistryCredentials. */
export interface CredentialKey {
  namespace?: string;
  name: string;
}

/** How a kind's Secrets fared across the namespaces it targets. */
interface TargetSummary {
  targeted: number;
  inSync: number;
  failed: number;
  /** The first failing namespaces (status lists at most 20). */
  failures: NamespaceFailure[];
}

/**
 * What differs between the two credential kinds, and nothing else (cert-manager's GenericIssuer):
 * where their Secrets go, where their sources' references resolve, and how status describes their
 * targets. Everything else, from guards to requeue, is the shared pipeline in sync-credential.ts.
 */
export interface CredentialKind<T extends CredentialResource> {
  readonly kind: T["kind"];
  readonly plural: string;
  /** The resource of that key in the informer cache. */
  get(key: CredentialKey): T | undefined;
  /** The namespaces its Secret is written to, sorted. */
  targets(resource: T): string[];
  /** Whether `namespace` is one of its targets (without listing them all). */
  isTarget(resource: T, namespace: string): boolean;
  /** The namespace whose copy of its Secret is trusted first when recovering logins. */
  home(resource: T): string;
  /** What a source may read (in which namespace) and whether it may use the operator's identity. */
  access(resource: T, source: CredentialSource): SourceAccess;
  /** The namespace selectors of its MutatingAdmissionPolicy binding. */
  admissionSelectors(resource: T): V1LabelSelector[];
  /** How messages name its Secret(s), and the status fields that count its targets. */
  describeTargets(
    resource: T,
    secretName: string,
    summary: TargetSummary,
  ): { where: string; status: Pick<ClusterRegistryCredentialStatus, "namespaces" | "failures"> };
}

/** The facts of one resource every step of the pipeline uses. */
export interface Credential<T extends CredentialResource> {
  resource: T;
  owner: SecretOwner;
  /** "Kind/namespace/name" or "Kind/name": names it in annotations, policies and target state. */
  id: string;
  ref: ObjectRef;
  labels: { kind: string; namespace: string; name: string };
  secretName: string;
}

export function credentialOf<T extends CredentialResource>(
  kind: CredentialKind<T>,
  resource: T,
): Credential<T> {
  const { name, namespace, uid } = resource.metadata as { name: string; namespace?: string; uid: string };
  const key = namespace ? { namespace, name } : { name };
  return {
    resource,
    owner: { apiVersion, kind: kind.kind, uid, ...key },
    id: ownerKey({ kind: kind.kind, ...key }),
    ref: { plural: kind.plural, ...key },
    labels: { kind: kind.kind, namespace: namespace ?? "", name },
    secretName: resource.spec.secret?.name ?? name,
  };
}
