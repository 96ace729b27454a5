import { createHash } from "node:crypto";
import { PatchStrategy, setHeaderOptions, type V1ServiceAccount } from "@kubernetes/client-node";
import { isConflict, isNotFound } from "../kube/errors.js";
import type { ServiceAccountApi } from "../kube/ports.js";

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const maxAttempts = 5;

/**
 * The annotation that records that this operator added `secretName` to a ServiceAccount's
 * imagePullSecrets (its value names the owning resource). One key per Secret name, so writers for
 * different Secrets never touch the same key.
 */
export function pullSecretAnnotation(secretName: string): string {
  const name =
    secretName.length <= 63 ? secretName : createHash("sha256").update(secretName).digest("hex").slice(0, 32);
  return `imagepullsecret.regcred.dev/${name}`;
}

export function hasPullSecret(account: V1ServiceAccount, secretName: string): boolean {
  return account.imagePullSecrets?.some((ref) => ref.name === secretName) ?? false;
}

/** True when this operator's annotation says it added secretName to the account. */
export function addedByOperator(account: V1ServiceAccount, secretName: string): boolean {
  return account.metadata?.annotations?.[pullSecretAnnotation(secretName)] !== undefined;
}

type Change = (account: V1ServiceAccount) => object | undefined;

/**
 * Applies a change computed from the account as read, as a merge patch that carries the read
 * resourceVersion: a concurrent writer makes it fail with 409, and it is recomputed from a fresh
 * read (up to five times), so no update by anyone is lost. `change` returns undefined when nothing
 * needs writing. Returns whether it wrote. A missing account is not an error (returns false).
 */
async function patchWithRetry(
  core: ServiceAccountApi,
  account: V1ServiceAccount,
  change: Change,
): Promise<boolean> {
  const namespace = account.metadata?.namespace as string;
  const name = account.metadata?.name as string;
  let current = account;
  for (let attempt = 1; ; attempt++) {
    const body = change(current);
    if (!body) return false;
    try {
      await core.patchNamespacedServiceAccount(
        {
          name,
          namespace,
          body: {
            ...body,
            metadata: {
              ...(body as { metadata?: object }).metadata,
              resourceVersion: current.metadata?.resourceVersion,
            },
          },
        },
        mergePatch,
      );
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      if (!isConflict(error) || attempt >= maxAttempts) throw error;
      try {
        current = await core.readNamespacedServiceAccount({ name, namespace });
      } catch (readError) {
        if (isNotFound(readError)) return false;
        throw readError;
      }
    }
  }
}

/**
 * Makes sure the account lists secretName in imagePullSecrets, keeping every other entry and its
 * order. When the operator adds the entry it also records `owner` in the account's annotation, so
 * it can later remove exactly what it added. An entry someone else put there is left unclaimed.
 */
export function ensurePullSecret(
  core: ServiceAccountApi,
  account: V1ServiceAccount,
  secretName: string,
  owner: string,
): Promise<boolean> {
  return patchWithRetry(core, account, (current) => {
    if (hasPullSecret(current, secretName)) return undefined;
    return {
      metadata: { annotations: { [pullSecretAnnotation(secretName)]: owner } },
      imagePullSecrets: [...(current.imagePullSecrets ?? []), { name: secretName }],
    };
  });
}

/**
 * Removes secretName from imagePullSecrets if, and only if, the operator's annotation says it added
 * it; removes the annotation too. Other entries are kept.
 */
export function removePullSecret(
  core: ServiceAccountApi,
  account: V1ServiceAccount,
  secretName: string,
): Promise<boolean> {
  return patchWithRetry(core, account, (current) => {
    if (!addedByOperator(current, secretName)) return undefined;
    return {
      metadata: { annotations: { [pullSecretAnnotation(secretName)]: null } },
      imagePullSecrets: (current.imagePullSecrets ?? []).filter((ref) => ref.name !== secretName),
    };
  });
}
