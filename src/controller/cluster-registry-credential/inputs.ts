import type { V1ServiceAccount } from "@kubernetes/client-node";
import { type ClusterRegistryCredential, clusterRegistryCredentialNames } from "../../api/v1alpha1.js";
import type { CachedNamespace } from "../../kube/cache-trim.js";
import { isTargeted } from "../../kube/namespace-selection.js";
import { annotations, ownerKey } from "../../secrets/ownership.js";
import { pullSecretAnnotation } from "../../serviceaccounts/pull-secret-patch.js";
import { selectsServiceAccount } from "../../serviceaccounts/selection.js";
import type { ControllerContext } from "../credential/context.js";
import { onOwnedSecrets } from "../credential/owned-secrets.js";
import type { TargetState } from "../credential/targets.js";

/** A full sync of a resource, or (with namespace) a namespace-level one. */
export interface ClusterKey {
  name: string;
  namespace?: string;
}

const kind = clusterRegistryCredentialNames.kind;
const idOf = (name: string) => ownerKey({ kind, name });

/** What the controller does when an input changes. */
export interface ClusterInputHandlers {
  /** The namespace needs a namespace-level sync for the resource `name`. */
  namespace(name: string, namespace: string): void;
  /** The resource's status counts changed without a sync (a namespace went away). */
  recount(name: string): void;
}

/**
 * Subscribes to what a ClusterRegistryCredential depends on besides itself. Only namespaces,
 * ServiceAccounts and Secrets the resource selects or wrote lead to work for it.
 */
export function watchClusterInputs(
  ctx: ControllerContext,
  state: TargetState,
  on: ClusterInputHandlers,
): void {
  const { informers } = ctx;
  const credentials = informers.clusterCredentials;
  const namespaces = informers.namespaces;
  if (!credentials || !namespaces)
    throw new Error("ClusterRegistryCredentials need the cluster-wide informers");
  const secretNameOf = (crc: ClusterRegistryCredential) =>
    crc.spec.secret?.name ?? (crc.metadata.name as string);
  // A namespace matters when the resource selects it, or it holds what the resource wrote there
  // (it may just have left the selection).
  const holdsWork = (crc: ClusterRegistryCredential, namespace: string) =>
    !!state.results.get(idOf(crc.metadata.name as string))?.has(namespace) ||
    informers.secrets.get(secretNameOf(crc), namespace)?.metadata?.annotations?.[annotations.ownerUid] ===
      crc.metadata.uid;
  const onNamespace = (ns: CachedNamespace) => {
    const namespace = ns.metadata?.name as string;
    for (const crc of credentials.list())
      if (isTargeted(crc.spec.namespaces, ns) || holdsWork(crc, namespace))
        on.namespace(crc.metadata.name as string, namespace);
  };
  namespaces.on("add", onNamespace);
  namespaces.on("update", onNamespace);
  namespaces.on("delete", (ns) => {
    for (const crc of credentials.list()) {
      const name = crc.metadata.name as string;
      if (state.results.get(idOf(name))?.delete(ns.metadata?.name as string)) on.recount(name);
    }
  });

  // A ServiceAccount matters when its namespace is selected and the resource selects the account,
  // or patched it before (the account may just have left the selection).
  const onAccount = (account: V1ServiceAccount) => {
    const namespace = account.metadata?.namespace as string;
    const ns = namespaces.get(namespace);
    for (const crc of credentials.list()) {
      const name = crc.metadata.name as string;
      const selected =
        !!ns &&
        isTargeted(crc.spec.namespaces, ns) &&
        selectsServiceAccount(crc.spec.serviceAccounts, account);
      const patched = account.metadata?.annotations?.[pullSecretAnnotation(secretNameOf(crc))] === idOf(name);
      if (selected || patched) on.namespace(name, namespace);
    }
  };
  informers.serviceAccounts.on("add", onAccount);
  informers.serviceAccounts.on("update", onAccount);

  // One of its Secrets changed or went away.
  onOwnedSecrets<ClusterRegistryCredential>(
    ctx,
    kind,
    ({ name, namespace }) => (namespace ? undefined : credentials.get(name)),
    (crc, secret) => on.namespace(crc.metadata.name as string, secret.metadata?.namespace as string),
  );
}
