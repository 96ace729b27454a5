import { runPool } from "../../src/controller/credential/targets.js";
import { freePort } from "../../test/support/controlplane/ports.js";
import { log, politely } from "../support/kit.js";
import { sleep } from "../support/operator-process.js";
import type { FeatureRun, FeaturesResult } from "../support/results.js";
import type { SizeRun } from "../support/size-run.js";
import { rotate } from "./rotate.js";
import { coldStart } from "./startup.js";

/** How long the operator must have been quiet before its idle RSS is read. */
const idleSettleMs = 5000;

/**
 * The RSS effect of the features of earlier issues at N: the operator is started once per
 * combination of the pod admission webhook (served, with the ClusterRegistryCredential asking for
 * it), the pull-failure pod watch and the referenced-Secret watch, over the same N namespaces each holding one Pending pod;
 * each process resyncs, carries out one rotation and idles before its memory is read.
 */
export async function features(world: SizeRun): Promise<FeaturesResult> {
  const { n } = world;
  await coldStart(world, { podAdmission: { enabled: true, mechanism: "Webhook" } });
  log(`features: one Pending pod in each of the ${n} namespaces`);
  await runPool(world.names, 32, async (namespace) => {
    await politely(() =>
      world.core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name: "app" },
          spec: {
            containers: [{ name: "app", image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1" }],
          },
        },
      }),
    );
  });
  const port = await freePort();
  const webhook = ["--webhook-port", String(port), "--webhook-url", `https://127.0.0.1:${port}/mutate-pods`];
  const noPodWatch = ["--disable-pull-failure-watch"];
  const noReferenceWatch = ["--disable-referenced-secret-watch"];
  const variants: Omit<FeatureRun, "memory" | "rotationSeconds">[] = [
    {
      name: "all",
      description: "webhook served, pull-failure pod watch and referenced-Secret watch on",
      args: webhook,
    },
    { name: "no-webhook", description: "pod watch and referenced-Secret watch on, no webhook", args: [] },
    {
      name: "no-pod-watch",
      description: "webhook served, --disable-pull-failure-watch",
      args: [...webhook, ...noPodWatch],
    },
    {
      name: "no-reference-watch",
      description: "webhook served, --disable-referenced-secret-watch",
      args: [...webhook, ...noReferenceWatch],
    },
    { name: "none", description: "none of the three", args: [...noPodWatch, ...noReferenceWatch] },
  ];
  const runs: FeatureRun[] = [];
  for (const variant of variants) {
    const operator = await world.startOperator(
      world.options.lifted,
      `features-${variant.name}`,
      variant.args,
    );
    await operator.quiesce(3000, 300_000);
    const rotation = await rotate(world, 1, `features: ${variant.name}`);
    await operator.quiesce(3000, 300_000);
    await sleep(idleSettleMs);
    const memory = world.memoryOf(operator, operator.memory());
    log(
      `features: ${variant.description}: peak RSS ${(memory.peakRss / 1e6).toFixed(1)} MB, idle ${((memory.idle?.rss ?? 0) / 1e6).toFixed(1)} MB`,
    );
    runs.push({ ...variant, memory, rotationSeconds: rotation.convergenceSeconds });
  }
  return {
    n,
    pods: n,
    runs,
    notMeasured: [],
  };
}
