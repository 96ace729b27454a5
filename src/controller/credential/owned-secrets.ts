import type { V1Secret } from "@kubernetes/client-node";
import { annotations, parseOwnerKey, type SecretOwner } from "../../secrets/ownership.js";
import type { ControllerContext } from "./context.js";
import type { CredentialResource } from "./credential-kind.js";

/**
 * Calls `handler` when a Secret of a live resource of `kind` changes or goes away: only when its
 * owner annotations name that resource (in the Secret's own namespace, for a namespaced owner) and
 * its uid. Anyone can write those annotations; nothing else about the Secret is trusted.
 */
export function onOwnedSecrets<T extends CredentialResource>(
  ctx: ControllerContext,
  kind: T["kind"],
  get: (owner: Pick<SecretOwner, "name" | "namespace">) => T | undefined,
  handler: (resource: T, secret: V1Secret) => void,
): void {
  const onSecret = (secret: V1Secret) => {
    const owner = parseOwnerKey(secret.metadata?.annotations?.[annotations.owner]);
    if (owner?.kind !== kind) return;
    if (owner.namespace !== undefined && owner.namespace !== secret.metadata?.namespace) return;
    const resource = get(owner);
    if (resource && resource.metadata.uid === secret.metadata?.annotations?.[annotations.ownerUid])
      handler(resource, secret);
  };
  ctx.informers.secrets.on("update", onSecret);
  ctx.informers.secrets.on("delete", onSecret);
}
