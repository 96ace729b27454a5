import { errorText } from "../util/error-text.js";
import { ClusterRegistryCredentialController } from "./cluster-registry-credential/controller.js";
import { clusterRegistryCredentialKind } from "./cluster-registry-credential/kind.js";
import type { ControllerContext } from "./credential/context.js";
import type { CredentialKind, CredentialResource } from "./credential/credential-kind.js";
import { PullFailureController } from "./pull-failures/controller.js";
import type { Covering } from "./pull-failures/covering-credentials.js";
import { RegistryCredentialController } from "./registry-credential/controller.js";
import { registryCredentialKind } from "./registry-credential/kind.js";
import type { Controller } from "./runtime/controller.js";
import { liveOwnerLookup } from "./runtime/live-owners.js";

/**
 * The controllers of every credential kind the informers cover, started. ClusterRegistryCredentials
 * need the cluster-wide informers, which a single-namespace install does not have.
 */
export function startControllers(ctx: ControllerContext, pullFailureRemintMs: number): Controller[] {
  const { clusterCredentials, namespaces, pods } = ctx.informers;
  const registryCredentials = new RegistryCredentialController(ctx);
  const clusterRegistryCredentials =
    clusterCredentials && namespaces ? new ClusterRegistryCredentialController(ctx) : undefined;
  const controllers: Controller[] = [
    registryCredentials,
    ...(clusterRegistryCredentials ? [clusterRegistryCredentials] : []),
  ];
  if (pods) {
    const kinds = [
      { kind: registryCredentialKind(ctx), list: () => ctx.informers.credentials.list() },
      ...(clusterCredentials && namespaces
        ? [{ kind: clusterRegistryCredentialKind(ctx), list: () => clusterCredentials.list() }]
        : []),
    ] as { kind: CredentialKind<CredentialResource>; list: () => readonly CredentialResource[] }[];
    const resync = ({ credential }: Covering) => {
      const { name, namespace } = credential.resource.metadata as { name: string; namespace?: string };
      if (namespace) registryCredentials.queue.add({ namespace, name });
      else clusterRegistryCredentials?.queue.add({ name });
    };
    controllers.push(new PullFailureController(ctx, pods, kinds, resync, pullFailureRemintMs));
  }
  for (const controller of controllers) controller.start();
  void removeOrphanedPolicies(ctx);
  return controllers;
}

/** Removes the MutatingAdmissionPolicies no live resource owns (left by resources deleted while no controller ran). Never throws. */
async function removeOrphanedPolicies(ctx: ControllerContext): Promise<void> {
  try {
    const removed = await ctx.podAdmission.removeOrphans(liveOwnerLookup(ctx.informers));
    if (removed.length > 0)
      ctx.logger.info({ policies: removed }, "removed MutatingAdmissionPolicies no resource owns");
  } catch (error) {
    ctx.logger.warn({ err: errorText(error) }, "removing orphaned MutatingAdmissionPolicies failed");
  }
}
