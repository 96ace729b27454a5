// The ESO side of the benchmark on its own: for each size, a fresh control plane with the
// operator's CRDs, a fake ECR and N labelled namespaces, then runEsoSize; prints the results as JSON.
//   node_modules/.bin/tsx bench/eso/run.ts --sizes 100,1000 [--new-namespaces 50] [--pace-ms 100]
//     [--concurrent 16] [--qps 5000] [--burst 5000] [--rotations 3] [--keys controller|per-namespace]
import { parseArgs } from "node:util";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { runPool } from "../../src/controller/credential/targets.js";
import { FakeEcrServer } from "../../test/fakes/ecr/fake-ecr-server.js";
import { startControlPlane } from "../../test/support/controlplane/controlplane.js";
import { onTerminationSignal } from "../../test/support/controlplane/processes.js";
import { installCrds } from "../../test/support/crds.js";
import type { EsoSizeResult } from "../support/eso-result.js";
import type { EsoKeys } from "./manifests.js";
import { defaultEsoTuning, runEsoSize } from "./scenario.js";

const namespaceLabel = "bench.regcred.dev/fanout";
const started = performance.now();
const log = (line: string) =>
  console.error(`[eso +${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}`);

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "100" },
    "new-namespaces": { type: "string", default: "50" },
    "pace-ms": { type: "string", default: "100" },
    concurrent: { type: "string", default: String(defaultEsoTuning.concurrent) },
    qps: { type: "string", default: String(defaultEsoTuning.qps) },
    burst: { type: "string", default: String(defaultEsoTuning.burst) },
    rotations: { type: "string", default: String(defaultEsoTuning.rotations) },
    keys: { type: "string", default: defaultEsoTuning.keys },
  },
});
const sizes = (values.sizes as string).split(",").map(Number);
if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--sizes must list positive integers`);
if (values.keys !== "controller" && values.keys !== "per-namespace")
  throw new Error(`--keys must be "controller" or "per-namespace"`);
const tuning = {
  concurrent: Number(values.concurrent),
  qps: Number(values.qps),
  burst: Number(values.burst),
  rotations: Number(values.rotations),
  keys: values.keys as EsoKeys,
};

const results: EsoSizeResult[] = [];
for (const n of sizes) {
  log(`N=${n}: starting a fresh control plane`);
  const controlPlane = await startControlPlane({ report: (line) => log(`  control plane: ${line}`) });
  const fakeEcr = await new FakeEcrServer("eu-west-1").start();
  const unregister = onTerminationSignal(() => fakeEcr.close());
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(controlPlane.kubeconfigPath);
    await installCrds(kc);
    const core = kc.makeApiClient(CoreV1Api);
    const namespaces = Array.from({ length: n }, (_, i) => `bench-${String(i).padStart(5, "0")}`);
    log(`N=${n}: creating ${n} namespaces`);
    await runPool(namespaces, 32, (name) =>
      core.createNamespace({ body: { metadata: { name, labels: { [namespaceLabel]: "true" } } } }),
    );
    results.push(
      await runEsoSize(
        {
          controlPlane,
          kubeconfigPath: controlPlane.kubeconfigPath,
          fakeEcr,
          namespaces,
          namespaceLabel,
          newNamespaces: Number(values["new-namespaces"]),
          paceMs: Number(values["pace-ms"]),
          log,
        },
        tuning,
      ),
    );
  } finally {
    unregister();
    await fakeEcr.close();
    await controlPlane.stop();
  }
}
console.log(JSON.stringify(results, null, 2));
