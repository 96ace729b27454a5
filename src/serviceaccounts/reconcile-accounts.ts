import type { V1ServiceAccount } from "@kubernetes/client-node";
import type { ServiceAccountSelection } from "../api/v1alpha1.js";
import type { ServiceAccountApi } from "../kube/ports.js";
import {
  addedByOperator,
  ensurePullSecret,
  pullSecretAnnotation,
  removePullSecret,
} from "./pull-secret-patch.js";
import { selectsServiceAccount } from "./selection.js";

export interface AccountsOutcome {
  patched: number;
  unpatched: number;
}

/**
 * Brings the ServiceAccounts of one namespace in line with a selection: selected accounts list
 * secretName in imagePullSecrets; accounts this owner patched earlier but that are no longer
 * selected (or all of them, when `selection` is undefined or `want` is "absent") lose exactly that
 * entry. Accounts come from the informer cache; writes happen only where something differs.
 * Throws the first API error after trying every account.
 */
export async function reconcileServiceAccounts(
  core: ServiceAccountApi,
  accounts: readonly V1ServiceAccount[],
  selection: ServiceAccountSelection | undefined,
  secretName: string,
  owner: string,
  want: "present" | "absent",
): Promise<AccountsOutcome> {
  const outcome: AccountsOutcome = { patched: 0, unpatched: 0 };
  const errors: unknown[] = [];
  const key = pullSecretAnnotation(secretName);
  await Promise.all(
    accounts.map(async (account) => {
      try {
        if (want === "present" && selectsServiceAccount(selection, account)) {
          if (await ensurePullSecret(core, account, secretName, owner)) outcome.patched++;
        } else if (addedByOperator(account, secretName) && account.metadata?.annotations?.[key] === owner) {
          if (await removePullSecret(core, account, secretName)) outcome.unpatched++;
        }
      } catch (error) {
        errors.push(error);
      }
    }),
  );
  if (errors.length > 0) throw errors[0];
  return outcome;
}
