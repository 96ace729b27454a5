import type { V1ServiceAccount } from "@kubernetes/client-node";
import type { ServiceAccountSelection } from "../api/v1alpha1.js";
import { matchesSelector } from "../kube/label-selector.js";

/** Whether the selection picks this ServiceAccount; an absent selection picks none. */
export function selectsServiceAccount(
  selection: ServiceAccountSelection | undefined,
  account: V1ServiceAccount,
): boolean {
  if (!selection) return false;
  if (selection.all) return true;
  const name = account.metadata?.name ?? "";
  if (selection.names?.includes(name)) return true;
  return selection.selector ? matchesSelector(selection.selector, account.metadata?.labels) : false;
}
