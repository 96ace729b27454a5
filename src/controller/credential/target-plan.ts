import type { V1Secret } from "@kubernetes/client-node";
import { type NamespaceFailure, readyReasons } from "../../api/v1alpha1.js";
import { desiredSecret } from "../../secrets/desired-secret.js";
import { buildDockerConfig } from "../../secrets/dockerconfig.js";
import { annotations, isOwnedBy, type SecretOwner } from "../../secrets/ownership.js";
import { conflictMessage, readSecretIfExists } from "../../secrets/secret-writer.js";
import { isSignedFor, secretSignature } from "../../secrets/signature.js";
import type { ControllerContext } from "./context.js";
import type { Credential, CredentialResource } from "./credential-kind.js";
import { type Logins, maxRecoveryCandidates } from "./credential-logins.js";
import type { TargetPlan } from "./targets.js";

/**
 * The targets whose Secret name is taken by someone else, as conflicts; none as soon as one target
 * can take the Secret (its own Secret is cached there, or the name is free, or it cannot be read:
 * the write will then say why). A cached Secret of its own settles it without a read; otherwise the
 * names the cache does not hold are read live (the cache holds only Secrets of live owners), so a
 * resource whose Secrets exist costs no read, and a new one one read.
 */
export async function takenTargets<T extends CredentialResource>(
  ctx: ControllerContext,
  self: Credential<T>,
  targets: readonly string[],
): Promise<NamespaceFailure[]> {
  const cached = targets.map((namespace) => ctx.informers.secrets.get(self.secretName, namespace));
  if (cached.some((secret) => secret && isOwnedBy(secret, self.owner))) return [];
  const taken: NamespaceFailure[] = [];
  for (const [i, namespace] of targets.entries()) {
    const secret =
      cached[i] ??
      (await readSecretIfExists(ctx.kube.core, namespace, self.secretName).catch(() => undefined));
    if (!secret || isOwnedBy(secret, self.owner)) return [];
    taken.push({
      namespace,
      reason: readyReasons.secretConflict,
      message: conflictMessage(secret, self.owner),
    });
  }
  return taken;
}

/**
 * Namespaces where a Secret this operator wrote for the owner is cached: its marks name the owner
 * and its signature proves the operator wrote it there. Marks alone anyone can forge, so a planted
 * Secret is never cleaned up, recovered from, or pointed at from a ServiceAccount.
 */
export function ownedNamespaces(ctx: ControllerContext, owner: SecretOwner): Set<string> {
  return new Set(
    ctx.informers.secrets
      .list(owner.namespace)
      .filter((s) => s.metadata?.annotations?.[annotations.ownerUid] === owner.uid)
      .filter((s) => isSignedFor(s, owner, ctx.key))
      .map((s) => s.metadata?.namespace as string),
  );
}

/**
 * The resource's own Secrets that may supply logins after a restart: only copies in namespaces it
 * targets now (a tenant cannot plant one elsewhere), its home namespace's first, at most a few.
 */
export function recoveryCandidates<T extends CredentialResource>(
  ctx: ControllerContext,
  self: Credential<T>,
  targets: readonly string[],
  owned: ReadonlySet<string>,
  home: string,
): V1Secret[] {
  const order = targets.includes(home) ? [home, ...targets.filter((ns) => ns !== home)] : targets;
  return order
    .filter((ns) => owned.has(ns))
    .slice(0, maxRecoveryCandidates)
    .flatMap((ns) => ctx.informers.secrets.get(self.secretName, ns) ?? []);
}

/** What the resource writes into each target namespace, for these logins. */
export function planOf<T extends CredentialResource>(
  ctx: ControllerContext,
  self: Credential<T>,
  logins: Logins,
): TargetPlan {
  const spec = self.resource.spec;
  const deletionPolicy = spec.deletionPolicy ?? "Delete";
  const dockerConfigJson = buildDockerConfig(logins.logins);
  return {
    uid: self.owner.uid,
    generation: self.resource.metadata.generation ?? 0,
    owner: self.owner,
    secretName: self.secretName,
    accounts: spec.serviceAccounts,
    deletionPolicy,
    secretFor: (namespace) =>
      desiredSecret({
        owner: self.owner,
        namespace,
        name: self.secretName,
        dockerConfigJson,
        ...(logins.expiresAt ? { expiresAt: logins.expiresAt } : {}),
        refreshedAt: logins.refreshedAt,
        signature: secretSignature(ctx.key, self.owner, namespace, self.secretName),
        extraLabels: spec.secret?.labels ?? {},
        extraAnnotations: spec.secret?.annotations ?? {},
        ownerReference: deletionPolicy === "Delete",
      }),
  };
}
