import { pullSecretAnnotation } from "../../serviceaccounts/pull-secret-patch.js";
import type { ControllerContext } from "./context.js";
import type { Credential, CredentialKind, CredentialResource } from "./credential-kind.js";
import { setFinalizer } from "./finalizer.js";
import { ownedNamespaces } from "./target-plan.js";
import { cleanupTarget, runPool, type TargetState } from "./targets.js";

/**
 * The deletion of a resource that still has our finalizer: its policy goes, every namespace
 * holding its Secret (cached, or read live in its targets) or a ServiceAccount it patched is cleaned
 * up under its deletion policy, and the finalizer is removed. Throws API errors (the queue retries).
 */
export async function finalize<T extends CredentialResource>(
  ctx: ControllerContext,
  kind: CredentialKind<T>,
  state: TargetState,
  self: Credential<T>,
): Promise<void> {
  await ctx.podAdmission.remove(self.id);
  state.plans.delete(self.id);
  const patched = ctx.informers.serviceAccounts
    .list(self.owner.namespace)
    .filter((sa) => sa.metadata?.annotations?.[pullSecretAnnotation(self.secretName)] === self.id)
    .map((sa) => sa.metadata?.namespace as string);
  const owned = ownedNamespaces(ctx, self.owner);
  // A target whose Secret the cache does not hold is read live: one the cache left out, or has not seen yet.
  const unseen = new Set(kind.targets(self.resource).filter((ns) => !owned.has(ns)));
  const touched = new Set([...owned, ...patched, ...unseen]);
  const policy = self.resource.spec.deletionPolicy ?? "Delete";
  await runPool([...touched], ctx.concurrency, (ns) =>
    cleanupTarget(ctx, self.owner, self.secretName, policy, ns, unseen.has(ns)),
  );
  await setFinalizer(ctx.kube.objects, self.ref, self.resource.metadata, "remove");
  state.forget(self.id);
  ctx.pullFailureLists.forget(self.id);
  ctx.metrics.forgetCredential(self.labels.kind, self.labels.namespace, self.labels.name);
}
