import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import {
  apiserverWriteSummary,
  changedSecrets,
  contention,
  crcName,
  keysSecretName,
  log,
  maxContention,
  operatorNamespace,
  seconds,
  subtractOwn,
  waitUntil,
} from "../support/kit.js";
import { sleep } from "../support/operator-process.js";
import { counterDelta, writesDelta } from "../support/prometheus.js";
import type { RotationRun } from "../support/report.js";
import type { SizeRun } from "../support/size-run.js";

/**
 * A forced rotation: the referenced keys Secret changes (its resourceVersion is part of the
 * identity, so the cached token no longer applies). The first time, the bench waits 5 s to see
 * whether that alone starts a rotation; if it does not, every rotation also bumps the resource's
 * generation with a spec change that alters no output (refresh.minInterval 1m ↔ 60s).
 */
export async function rotate(world: SizeRun, run: number): Promise<RotationRun> {
  const { n, options } = world;
  const before = await world.operator.quiesce(3000, 300_000);
  const ecrBefore = world.ecr.calls;
  const apiBefore = await world.apiserverWrites();
  const old = new Map(world.names.map((ns) => [ns, world.secrets.entries.get(ns)?.value]));
  world.rotations++;
  const load = contention(world.cp.dir);
  log(
    `N=${n}: rotation ${run}/${options.repeats}: updating the keys Secret (load ${load.load1}, other apiservers ${load.foreignApiservers})`,
  );
  let t0 = performance.now();
  await world.core.patchNamespacedSecret(
    {
      namespace: operatorNamespace,
      name: keysSecretName,
      body: { metadata: { annotations: { "bench.regcred.dev/rotation": String(world.rotations) } } },
    },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
  let benchWrites = 1;
  if (world.keysAloneRotates === undefined) {
    const probeEnd = performance.now() + 5000;
    while (performance.now() < probeEnd) {
      if (world.ecr.calls > ecrBefore || changedSecrets(world.secrets, world.names, old).count > 0) break;
      await sleep(50);
    }
    world.keysAloneRotates =
      world.ecr.calls > ecrBefore || changedSecrets(world.secrets, world.names, old).count > 0;
    log(
      world.keysAloneRotates
        ? `N=${n}:   the keys Secret update alone started the rotation`
        : `N=${n}:   no mint and no Secret write 5 s after the keys Secret update: the operator does not react to it; forcing the rotation with a no-op spec change`,
    );
  }
  let trigger = "keys Secret update";
  if (!world.keysAloneRotates) {
    trigger = "keys Secret update + no-op spec change";
    t0 = performance.now();
    await world.credentials.patchSpec(crcName, {
      refresh: { minInterval: world.rotations % 2 === 1 ? "60s" : "1m" },
    });
    benchWrites++;
  }
  await waitUntil(
    `rotation ${run}`,
    () => {
      const { count } = changedSecrets(world.secrets, world.names, old);
      return { done: count === n, progress: `${count}/${n} Secrets hold the new token` };
    },
    120_000 + (n / options.qps) * 4000,
    world.operatorDied,
  );
  const { lastAt, values } = changedSecrets(world.secrets, world.names, old);
  const convergenceSeconds = seconds(lastAt - t0);
  const after = await world.operator.quiesce(3000, 300_000);
  const delta = counterDelta(after, before);
  const api = writesDelta(await world.apiserverWrites(), apiBefore);
  // The bench's own writes: the keys Secret patch and (when needed) the spec change.
  subtractOwn(api, "PATCH secrets 200", 1);
  subtractOwn(api, "PATCH clusterregistrycredentials 200", benchWrites - 1);
  const result: RotationRun = {
    trigger,
    contention: maxContention(load, contention(world.cp.dir)),
    convergenceSeconds,
    distinctTokens: values.size,
    providerCalls: delta.providerCalls,
    fakeEcrCalls: world.ecr.calls - ecrBefore,
    secretUpdates: delta.secretUpdates,
    secretCreates: delta.secretCreates,
    serviceAccountPatches: delta.serviceAccountPatches,
    apiserver: apiserverWriteSummary(api),
  };
  log(
    `N=${n}: rotation ${run}: all ${n} Secrets hold the new token after ${convergenceSeconds} s; ` +
      `provider calls ${result.providerCalls} (fake ECR saw ${result.fakeEcrCalls}), Secret updates ${result.secretUpdates}, ` +
      `ServiceAccount patches ${result.serviceAccountPatches}; apiserver (bench's own writes subtracted): ${result.apiserver.detail}`,
  );
  return result;
}
