import { runEsoSize } from "../eso/scenario.js";
import type { EsoSizeResult } from "../support/eso-result.js";
import { live, log, targetLabel } from "../support/kit.js";
import type { SizeRun } from "../support/size-run.js";

/**
 * External Secrets Operator over the same control plane, namespaces and fake ECR, once the
 * operator's process has been stopped (ESO is built from the Go module proxy on first use).
 */
export async function eso(world: SizeRun): Promise<EsoSizeResult> {
  await live.operator?.stop();
  live.operator = undefined;
  log(`N=${world.n}: External Secrets Operator over the same ${world.n} namespaces`);
  return runEsoSize({
    controlPlane: world.cp,
    kubeconfigPath: world.cp.kubeconfigPath,
    fakeEcr: world.ecr,
    namespaces: world.names,
    namespaceLabel: targetLabel,
    newNamespaces: world.options.newNamespaces,
    paceMs: world.options.paceMs,
    log: (line) => log(`  eso: ${line}`),
  });
}
