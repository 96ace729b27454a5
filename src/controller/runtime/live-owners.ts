import { apiVersion, clusterRegistryCredentialNames, registryCredentialNames } from "../../api/v1alpha1.js";
import type { SecretOwner } from "../../secrets/ownership.js";
import type { Informers } from "./informers.js";

/**
 * Looks up, in the informer caches, the credential resource an owner key names ("RegistryCredential/
 * namespace/name" or "ClusterRegistryCredential/name", as written in owner annotations). Undefined
 * when no such resource exists, or it is being deleted.
 */
export function liveOwnerLookup(informers: Informers): (key: string) => SecretOwner | undefined {
  return (key) => {
    const [kind, ...rest] = key.split("/");
    if (kind === registryCredentialNames.kind && rest.length === 2) {
      const [namespace, name] = rest as [string, string];
      const rc = informers.credentials.get(name, namespace);
      if (!rc?.metadata.uid || rc.metadata.deletionTimestamp) return undefined;
      return { apiVersion, kind, namespace, name, uid: rc.metadata.uid };
    }
    if (kind === clusterRegistryCredentialNames.kind && rest.length === 1) {
      const [name] = rest as [string];
      const crc = informers.clusterCredentials?.get(name);
      if (!crc?.metadata.uid || crc.metadata.deletionTimestamp) return undefined;
      return { apiVersion, kind, name, uid: crc.metadata.uid };
    }
    return undefined;
  };
}
