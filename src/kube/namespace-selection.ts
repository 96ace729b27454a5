import type { NamespaceSelection } from "../api/v1alpha1.js";
import type { CachedNamespace } from "./cache-trim.js";
import { matchesSelector } from "./label-selector.js";

/**
 * Whether a ClusterRegistryCredential writes into this namespace: named or matched by the selector,
 * not excluded, and not being deleted (the apiserver refuses new objects in a terminating namespace).
 */
export function isTargeted(selection: NamespaceSelection, namespace: CachedNamespace): boolean {
  const name = namespace.metadata?.name ?? "";
  if (namespace.metadata?.deletionTimestamp || namespace.status?.phase === "Terminating") return false;
  if (selection.exclude?.includes(name)) return false;
  if (selection.names?.includes(name)) return true;
  return selection.selector ? matchesSelector(selection.selector, namespace.metadata?.labels) : false;
}
