import type { EsoSizeResult } from "../support/eso-result.js";
import { live, log, targetLabel } from "../support/kit.js";
import type { SizeRun } from "../support/size-run.js";

/** Built by the ESO side of the benchmark; loaded by path so the bench runs without it. */
const esoScenario = new URL("../eso/scenario.js", import.meta.url).href;

type RunEsoSize = (input: {
  controlPlane: SizeRun["cp"];
  kubeconfigPath: string;
  fakeEcr: SizeRun["ecr"];
  namespaces: readonly string[];
  namespaceLabel: string;
  newNamespaces: number;
  paceMs: number;
  log: (line: string) => void;
}) => Promise<EsoSizeResult>;

/**
 * External Secrets Operator over the same control plane, namespaces and fake ECR, once the
 * operator's process has been stopped. Undefined (and logged) when the ESO scenario is not there.
 */
export async function eso(world: SizeRun): Promise<EsoSizeResult | undefined> {
  let runEsoSize: RunEsoSize | undefined;
  try {
    ({ runEsoSize } = (await import(esoScenario)) as { runEsoSize?: RunEsoSize });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== "ERR_MODULE_NOT_FOUND" || !String((error as Error).message).includes("scenario"))
      throw error;
  }
  if (typeof runEsoSize !== "function") {
    log(`N=${world.n}: ESO scenario not available (no runEsoSize in bench/eso/scenario.ts); skipped`);
    return undefined;
  }
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
