import { apiserverWriteSummary, log, seconds } from "../support/kit.js";
import { sleep } from "../support/operator-process.js";
import { writesDelta } from "../support/prometheus.js";
import type { RestartRun } from "../support/results.js";
import type { SizeRun } from "../support/size-run.js";

/** Stops the operator and starts a fresh process (same profile); nothing changed, so it must write nothing. */
export async function restartResync(world: SizeRun): Promise<RestartRun> {
  const { n } = world;
  await world.operator.quiesce(3000, 300_000);
  const old = new Map(world.secrets.entries);
  log(`N=${n}: restarting the operator (nothing changed: the resync must write nothing)`);
  await world.operator.stop();
  const ecrBefore = world.ecr.calls;
  const apiBefore = await world.apiserverWrites();
  const operator = await world.startOperator(world.profile, "restarted");
  const readySeconds = seconds(operator.readyAt - operator.startedAt);
  const quietMs = 5000;
  let counters = await operator.quiesce(quietMs, 600_000);
  while (counters.reconciles === 0) {
    if (performance.now() - operator.startedAt > 120_000)
      throw new Error("the restarted operator reconciled nothing");
    await sleep(250);
    counters = await operator.quiesce(quietMs, 600_000);
  }
  const settledSeconds = seconds(performance.now() - operator.startedAt - quietMs);
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
    memory: world.memoryOf(operator, operator.memory()),
  };
  log(
    `N=${n}: restart: ready after ${readySeconds} s, settled after ${settledSeconds} s (${result.reconciles} reconciles); ` +
      `Secret writes ${result.secretWrites}, ServiceAccount patches ${result.serviceAccountPatches}, ` +
      `provider calls ${result.providerCalls} (fake ECR saw ${result.fakeEcrCalls}); apiserver: ${result.apiserver.detail}`,
  );
  return result;
}
