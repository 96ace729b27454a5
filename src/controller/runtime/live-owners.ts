import { apiVersion, clusterRegistryCredentialNames, registryCredentialNames } from "../../api/v1alpha1.js";
import { parseOwnerKey, type SecretOwner } from "../../secrets/ownership.js";
import type { Informers } from "./informers.js";

/**
 * Looks up, in the informer caches, the credential resource an owner key names ("RegistryCredential/
 * namespace/name" or "ClusterRegistryCredential/name", as written in owner annotations). Undefined
 * when no such resource exists, or it is being deleted.
 */
export function liveOwnerLookup(informers: Informers): (key: string) => SecretOwner | undefined {
  return (key) => {
    const owner = parseOwnerKey(key);
    const { kind, name, namespace } = owner ?? {};
    if (!owner || !kind || !name) return undefined;
    const resource =
      kind === registryCredentialNames.kind && namespace
        ? informers.credentials.get(name, namespace)
        : kind === clusterRegistryCredentialNames.kind && !namespace
          ? informers.clusterCredentials?.get(name)
          : undefined;
    if (!resource?.metadata.uid || resource.metadata.deletionTimestamp) return undefined;
    return { apiVersion, ...owner, uid: resource.metadata.uid };
  };
}
