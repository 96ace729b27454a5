import { errorText } from "../util/error-text.js";
import { ClusterRegistryCredentialController } from "./cluster-registry-credential/controller.js";
import type { ControllerContext } from "./credential/context.js";
import { RegistryCredentialController } from "./registry-credential/controller.js";
import type { Controller } from "./runtime/controller.js";
import { liveOwnerLookup } from "./runtime/live-owners.js";

/**
 * The controllers of every credential kind the informers cover, started. ClusterRegistryCredentials
 * need the cluster-wide informers, which a single-namespace install does not have.
 */
export function startControllers(ctx: ControllerContext): Controller[] {
  const { clusterCredentials, namespaces } = ctx.informers;
  const controllers: Controller[] = [
    new RegistryCredentialController(ctx),
    ...(clusterCredentials && namespaces ? [new ClusterRegistryCredentialController(ctx)] : []),
  ];
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
