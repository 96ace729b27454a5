import type {
  KubeConfig,
  KubernetesObject,
  V1MutatingAdmissionPolicy,
  V1Namespace,
  V1Pod,
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
} from "../../api/v1alpha1.js";
import {
  type CachedNamespace,
  StringPool,
  secretTrim,
  trimNamespace,
  trimServiceAccount,
  withoutManagedFields,
} from "../../kube/cache-trim.js";
import type { KubeClients } from "../../kube/clients.js";
import { type Informer, startableInformer } from "../../kube/informer.js";
import type { OperatorMetrics } from "../../metrics/metrics.js";
import { pullFailuresOf } from "../../pulls/pull-failure.js";
import { annotations, managedObjectSelector, parseOwnerKey } from "../../secrets/ownership.js";

/** The caches every controller reads; one watch per kind, shared. */
export interface Informers {
  credentials: Informer<RegistryCredential>;
  /** Undefined in single-namespace mode, which runs no cluster-scoped controller. */
  clusterCredentials?: Informer<ClusterRegistryCredential>;
  /** Only Secrets carrying this operator's managed-by label. */
  secrets: Informer<V1Secret>;
  serviceAccounts: Informer<V1ServiceAccount>;
  /** Undefined in single-namespace mode. */
  namespaces?: Informer<CachedNamespace>;
  /** The operator's MutatingAdmissionPolicies; undefined where they are not used. */
  admissionPolicies?: Informer<V1MutatingAdmissionPolicy>;
  /** Only pods whose status shows an image-pull failure; undefined with --disable-pull-failure-watch. */
  pods?: Informer<V1Pod>;
}

/**
 * The most a managed Secret may weigh (data and annotations) to be cached; a heavier one is read live when needed.
 * @internal exported for its tests
 */
export const maxCachedSecretBytes = 512 * 1024;

function weight(secret: V1Secret): number {
  const sizes = [
    ...Object.values(secret.data ?? {}),
    ...Object.entries(secret.metadata?.annotations ?? {}).flat(),
    ...Object.entries(secret.metadata?.labels ?? {}).flat(),
  ];
  return sizes.reduce((sum, text) => sum + text.length, 0);
}

/**
 * Whether a Secret carrying the operator's label may be one it wrote, and so is worth caching: its
 * owner annotations name a credential resource that exists, with that uid, whose Secret has this
 * name (in its own namespace, for a RegistryCredential), and it is not oversized. Anyone can set
 * the label and annotations, so without this a tenant could make every replica hold any number of
 * Secrets of up to 1 MiB each; with it, the cache holds at most one Secret per resource and
 * namespace. Secrets it leaves out are read live when a sync needs them.
 * @internal exported for its tests
 */
export function worthCaching(informers: Pick<Informers, "credentials" | "clusterCredentials">) {
  return (secret: V1Secret): boolean => {
    const meta = secret.metadata ?? {};
    const uid = meta.annotations?.[annotations.ownerUid];
    const owner = parseOwnerKey(meta.annotations?.[annotations.owner]);
    if (!owner || !uid || weight(secret) > maxCachedSecretBytes) return false;
    const resource =
      owner.kind === registryCredentialNames.kind && owner.namespace === meta.namespace && owner.namespace
        ? informers.credentials.get(owner.name, owner.namespace)
        : owner.kind === clusterRegistryCredentialNames.kind && !owner.namespace
          ? informers.clusterCredentials?.get(owner.name)
          : undefined;
    return (
      resource?.metadata.uid === uid && (resource.spec.secret?.name ?? resource.metadata.name) === meta.name
    );
  };
}

/**
 * Creates (without starting) the informers for the watch scope: every namespace when `namespace` is
 * undefined, else that namespace only. Secrets and MutatingAdmissionPolicies are filtered by
 * label: the operator never caches ones it does not manage. `admissionPolicies` says whether the
 * cluster serves MutatingAdmissionPolicies and the operator uses them; `pods` whether it watches
 * pods for pull failures (caching only the failing ones).
 */
export function createInformers(
  kc: KubeConfig,
  clients: KubeClients,
  logger: Logger,
  namespace: string | undefined,
  admissionPolicies: boolean,
  pods = true,
): Informers {
  const { core, objects, admission } = clients;
  // Filled in below, once the credential informers it consults exist.
  let keepSecret: (secret: V1Secret) => boolean = () => false;
  const base = `/apis/${group}/${version}`;
  const rc = registryCredentialNames.plural;
  const scoped = (path: string) =>
    namespace ? `/api/v1/namespaces/${namespace}/${path}` : `/api/v1/${path}`;
  const informers: Informers = {
    credentials: startableInformer<RegistryCredential>(
      kc,
      namespace ? `${base}/namespaces/${namespace}/${rc}` : `${base}/${rc}`,
      (page) =>
        (namespace
          ? objects.listNamespacedCustomObject({ group, version, namespace, plural: rc, ...page })
          : objects.listClusterCustomObject({ group, version, plural: rc, ...page })) as never,
      logger,
      { trim: withoutManagedFields },
    ),
    secrets: startableInformer<V1Secret>(
      kc,
      scoped("secrets"),
      (page) =>
        namespace
          ? core.listNamespacedSecret({ namespace, labelSelector: managedObjectSelector, ...page })
          : core.listSecretForAllNamespaces({ labelSelector: managedObjectSelector, ...page }),
      logger,
      {
        labelSelector: managedObjectSelector,
        keep: (secret) => keepSecret(secret),
        trim: secretTrim(new StringPool(secretValuePoolSize)),
      },
    ),
    serviceAccounts: startableInformer<V1ServiceAccount>(
      kc,
      scoped("serviceaccounts"),
      (page) =>
        namespace
          ? core.listNamespacedServiceAccount({ namespace, ...page })
          : core.listServiceAccountForAllNamespaces(page),
      logger,
      { trim: trimServiceAccount },
    ),
  };
  if (!namespace) {
    const crc = clusterRegistryCredentialNames.plural;
    informers.clusterCredentials = startableInformer<ClusterRegistryCredential>(
      kc,
      `${base}/${crc}`,
      (page) => objects.listClusterCustomObject({ group, version, plural: crc, ...page }) as never,
      logger,
      { trim: withoutManagedFields },
    );
    informers.namespaces = startableInformer<V1Namespace, CachedNamespace>(
      kc,
      "/api/v1/namespaces",
      (page) => core.listNamespace(page),
      logger,
      { trim: trimNamespace },
    );
  }
  keepSecret = worthCaching(informers);
  if (pods) {
    // Only Pending pods are sent (a pod waiting on a pull is Pending; one that starts leaves the
    // watch as a deletion), and only those failing to pull stay in memory.
    const fieldSelector = pendingPods;
    informers.pods = startableInformer<V1Pod>(
      kc,
      scoped("pods"),
      (page) =>
        namespace
          ? core.listNamespacedPod({ namespace, fieldSelector, ...page })
          : core.listPodForAllNamespaces({ fieldSelector, ...page }),
      logger,
      { keep: (pod) => pullFailuresOf(pod).length > 0, fieldSelector, trim: withoutManagedFields },
    );
  }
  if (admissionPolicies) {
    informers.admissionPolicies = startableInformer<V1MutatingAdmissionPolicy>(
      kc,
      "/apis/admissionregistration.k8s.io/v1/mutatingadmissionpolicies",
      (page) => admission.listMutatingAdmissionPolicy({ labelSelector: managedObjectSelector, ...page }),
      logger,
      { labelSelector: managedObjectSelector, trim: withoutManagedFields },
    );
  }
  return informers;
}

/**
 * Distinct Secret data values the Secret cache shares among the Secrets holding them: one per
 * identity's current docker config is what matters, a few more cover a rotation in flight.
 */
const secretValuePoolSize = 64;

/** The pods the pull-failure watch is sent. */
const pendingPods = "status.phase=Pending";

/** Keeps metrics.cachedObjects current for every informer, counting adds and deletes. */
export function countCachedObjects(informers: Informers, metrics: OperatorMetrics): void {
  for (const [resource, informer] of Object.entries(informers) as [
    string,
    Informer<KubernetesObject> | undefined,
  ][]) {
    if (!informer) continue;
    metrics.cachedObjects.set({ resource }, 0);
    informer.on("add", () => metrics.cachedObjects.inc({ resource }));
    informer.on("delete", () => metrics.cachedObjects.dec({ resource }));
  }
}

/**
 * Starts every informer and resolves once each has listed. The credential resources list first:
 * which Secrets are worth caching depends on them.
 */
export async function startInformers(informers: Informers): Promise<void> {
  await Promise.all([informers.credentials.start(), informers.clusterCredentials?.start()]);
  const { credentials: _credentials, clusterCredentials: _clusterCredentials, ...rest } = informers;
  await Promise.all(Object.values(rest).map((informer) => informer?.start()));
}

export async function stopInformers(informers: Informers): Promise<void> {
  await Promise.all(Object.values(informers).map((informer) => informer?.stop()));
}
