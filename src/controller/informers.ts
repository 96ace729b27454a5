import type {
  KubeConfig,
  V1MutatingAdmissionPolicy,
  V1Namespace,
  V1Secret,
  V1ServiceAccount,
} from "@kubernetes/client-node";
import type { Logger } from "pino";
import {
  type ClusterRegistryCredential,
  clusterRegistryCredentialNames,
  group,
  type RegistryCredential,
  registryCredentialNames,
  version,
} from "../api/v1alpha1.js";
import type { KubeClients } from "../kube/clients.js";
import { type Informer, startableInformer } from "../kube/informer.js";
import { managedObjectSelector } from "../secrets/ownership.js";

/** The caches every controller reads; one watch per kind, shared. */
export interface Informers {
  credentials: Informer<RegistryCredential>;
  /** Undefined in single-namespace mode, which runs no cluster-scoped controller. */
  clusterCredentials?: Informer<ClusterRegistryCredential>;
  /** Only Secrets carrying this operator's managed-by label. */
  secrets: Informer<V1Secret>;
  serviceAccounts: Informer<V1ServiceAccount>;
  /** Undefined in single-namespace mode. */
  namespaces?: Informer<V1Namespace>;
  /** The operator's MutatingAdmissionPolicies; undefined where they are not used. */
  admissionPolicies?: Informer<V1MutatingAdmissionPolicy>;
}

/**
 * Creates (without starting) the informers for the watch scope: every namespace when `namespace` is
 * undefined, else that namespace only. Secrets and MutatingAdmissionPolicies are filtered by
 * label: the operator never caches ones it does not manage. `admissionPolicies` says whether the
 * cluster serves MutatingAdmissionPolicies and the operator uses them.
 */
export function createInformers(
  kc: KubeConfig,
  clients: KubeClients,
  logger: Logger,
  namespace: string | undefined,
  admissionPolicies: boolean,
): Informers {
  const { core, objects, admission } = clients;
  const base = `/apis/${group}/${version}`;
  const rc = registryCredentialNames.plural;
  const scoped = (path: string) =>
    namespace ? `/api/v1/namespaces/${namespace}/${path}` : `/api/v1/${path}`;
  const informers: Informers = {
    credentials: startableInformer<RegistryCredential>(
      kc,
      namespace ? `${base}/namespaces/${namespace}/${rc}` : `${base}/${rc}`,
      () =>
        (namespace
          ? objects.listNamespacedCustomObject({ group, version, namespace, plural: rc })
          : objects.listClusterCustomObject({ group, version, plural: rc })) as never,
      logger,
    ),
    secrets: startableInformer<V1Secret>(
      kc,
      scoped("secrets"),
      () =>
        namespace
          ? core.listNamespacedSecret({ namespace, labelSelector: managedObjectSelector })
          : core.listSecretForAllNamespaces({ labelSelector: managedObjectSelector }),
      logger,
      managedObjectSelector,
    ),
    serviceAccounts: startableInformer<V1ServiceAccount>(
      kc,
      scoped("serviceaccounts"),
      () =>
        namespace
          ? core.listNamespacedServiceAccount({ namespace })
          : core.listServiceAccountForAllNamespaces(),
      logger,
    ),
  };
  if (!namespace) {
    const crc = clusterRegistryCredentialNames.plural;
    informers.clusterCredentials = startableInformer<ClusterRegistryCredential>(
      kc,
      `${base}/${crc}`,
      () => objects.listClusterCustomObject({ group, version, plural: crc }) as never,
      logger,
    );
    informers.namespaces = startableInformer<V1Namespace>(
      kc,
      "/api/v1/namespaces",
      () => core.listNamespace(),
      logger,
    );
  }
  if (admissionPolicies) {
    informers.admissionPolicies = startableInformer<V1MutatingAdmissionPolicy>(
      kc,
      "/apis/admissionregistration.k8s.io/v1/mutatingadmissionpolicies",
      () => admission.listMutatingAdmissionPolicy({ labelSelector: managedObjectSelector }),
      logger,
      managedObjectSelector,
    );
  }
  return informers;
}

/** Starts every informer and resolves once each has listed. */
export async function startInformers(informers: Informers): Promise<void> {
  await Promise.all(Object.values(informers).map((informer) => informer?.start()));
}

export async function stopInformers(informers: Informers): Promise<void> {
  await Promise.all(Object.values(informers).map((informer) => informer?.stop()));
}
