import { apiserverWriteSummary, live, log, seconds } from "../support/kit.js";
import { OperatorProcess, sleep } from "../support/operator-process.js";
import { writesDelta } from "../support/prometheus.js";
import type { SizeResult } from "../support/report.js";
import type { SizeRun } from "../support/size-run.js";

/** Stops the operator and starts a fresh process; nothing changed, so it must write nothing. */
export async function restartResync(world: SizeRun): Promise<SizeResult["resync"]> {
  const { n } = world;
  await world.operator.quiesce(3000, 300_000);
  const old = new Map(world.secrets.entries);
  log(`N=${n}: restarting the operator (nothing changed: the resync must write nothing)`);
  await world.operator.stop();
  const ecrBefore = world.ecr.calls;
  const apiBefore = await world.apiserverWrites();
  const t0 = performance.now();
  world.operator = await OperatorProcess.start(world.settings, `operator-${n}-restarted`);
  live.operator = world.operator;
  const readySeconds = seconds(performance.now() - t0);
  const quietMs = 5000;
  let counters = await world.operator.quiesce(quietMs, 600_000);
  while (counters.reconciles === 0) {
    if (performance.now() - t0 > 120_000) throw new Error("the restarted operator reconciled nothing");
    await sleep(250);
    counters = await world.operator.quiesce(quietMs, 600_000);
  }
  const settledSeconds = seconds(performance.now() - t0 - quietMs);
  const api = writesDelta(await world.apiserverWrites(), apiBefore);
  const changedSecrets = [...world.secrets.entries].filter(
    ([ns, entry]) => JSON.stringify(old.get(ns)?.value) !== JSON.stringify(entry.value),
  ).length;
  const result = {
    readySeconds,
    settledSeconds,
    reconciles: counters.reconciles,
    secretWrites: counters.secretCreates + counters.secretUpdates + counters.secretDeletes,
    secretDeletes: counters.secretDeletes,
    serviceAccountPatches: counters.serviceAccountPatches,
    providerCalls: counters.providerCalls,
    fakeEcrCalls: world.ecr.calls - ecrBefore,
    changedSecrets,
    apiserver: apiserverWriteSummary(api),
  };
  log(
    `N=${n}: restart: ready after ${readySeconds} s, settled after ${settledSeconds} s (${result.reconciles} reconciles); ` +
      `Secret writes ${result.secretWrites}, ServiceAccount patches ${result.serviceAccountPatches}, ` +
      `provider calls ${result.providerCalls} (fake ECR saw ${result.fakeEcrCalls}); apiserver: ${result.apiserver.detail}`,
  );
  return result;
}
