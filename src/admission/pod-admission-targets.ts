import type { CoreV1Api, V1Secret } from "@kubernetes/client-node";
import {
  apiVersion,
  type ClusterRegistryCredential,
  clusterRegistryCredentialNames,
  type PodAdmission,
  type RegistryCredential,
  registryCredentialNames,
} from "../api/v1alpha1.js";
import type { CachedNamespace } from "../kube/cache-trim.js";
import { unlessNotFound } from "../kube/errors.js";
import type { Informer } from "../kube/informer.js";
import { isTargeted } from "../kube/namespace-selection.js";
import { isOwnedBy } from "../secrets/ownership.js";
import type { PullSecretIndex } from "../webhook/pull-secret-index.js";

/** Finds a namespace by name: from a cache when it is there, else from the apiserver; undefined when it does not exist. */
type NamespaceLookup = (name: string) => Promise<CachedNamespace | undefined>;

export interface WebhookTargetSources {
  credentials: Informer<RegistryCredential>;
  /** Undefined in single-namespace mode. */
  clusterCredentials?: Informer<ClusterRegistryCredential>;
  /** The managed-Secret cache. */
  secrets: Informer<V1Secret>;
  lookupNamespace: NamespaceLookup;
}

const wantsWebhook = (spec: PodAdmission | undefined) => !!spec?.enabled && spec.mechanism === "Webhook";

/**
 * Which Secrets the pod admission webhook injects where, derived on every call from this replica's
 * own caches of the credential resources and of managed Secrets, so every replica answers alike,
 * leader or not, and right after a failover. A namespace selection is evaluated against the
 * namespace object, so a namespace created a moment ago is covered before any controller saw it.
 *
 * A resource's Secret is injected only where the name is not taken by someone else's Secret:
 * a RegistryCredential's once its own Secret exists; a ClusterRegistryCredential's where the
 * cached Secret of that name is its own, or where none is cached yet (a new namespace).
 */
export class WebhookTargets implements PullSecretIndex {
  constructor(private readonly sources: WebhookTargetSources) {}

  /**
   * The Secret names to inject into pods of `namespace`, sorted and without duplicates. Looks the
   * namespace up only when some ClusterRegistryCredential opted in. Rejects when the lookup fails
   * (the webhook then admits the pod unchanged).
   */
  async secretsFor(namespace: string): Promise<readonly string[]> {
    const { credentials, clusterCredentials, secrets } = this.sources;
    const names = new Set<string>();
    for (const rc of credentials.list(namespace)) {
      if (!wantsWebhook(rc.spec.podAdmission) || rc.metadata.deletionTimestamp) continue;
      const { name, uid } = rc.metadata as { name: string; uid: string };
      const secretName = rc.spec.secret?.name ?? name;
      const secret = secrets.get(secretName, namespace);
      const owner = { apiVersion, kind: registryCredentialNames.kind, name, namespace, uid };
      if (secret && isOwnedBy(secret, owner)) names.add(secretName);
    }
    const opted = (clusterCredentials?.list() ?? []).filter(
      (crc) => wantsWebhook(crc.spec.podAdmission) && !crc.metadata.deletionTimestamp,
    );
    if (opted.length > 0) {
      const object = await this.sources.lookupNamespace(namespace);
      for (const crc of opted) {
        if (!object || !isTargeted(crc.spec.namespaces, object)) continue;
        const { name, uid } = crc.metadata as { name: string; uid: string };
        const secretName = crc.spec.secret?.name ?? name;
        const secret = secrets.get(secretName, namespace);
        const owner = { apiVersion, kind: clusterRegistryCredentialNames.kind, name, uid };
        if (!secret || isOwnedBy(secret, owner)) names.add(secretName);
      }
    }
    return [...names].sort();
  }
}

/**
 * The lookup of a namespace for WebhookTargets: the namespace cache, else a live read (a namespace
 * created a moment ago may not be cached yet, and its pods must still be covered). `reader` should
 * be a client of its own: admission must answer within the webhook's timeout, not queue behind
 * reconcile traffic in a shared rate limiter.
 */
export function cachedOrLiveNamespace(
  cache: Pick<Informer<CachedNamespace>, "get"> | undefined,
  reader: Pick<CoreV1Api, "readNamespace">,
): NamespaceLookup {
  return async (name) => cache?.get(name) ?? unlessNotFound(reader.readNamespace({ name }));
}
