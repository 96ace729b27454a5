import {
  apiserverWriteSummary,
  changedSecrets,
  contention,
  log,
  maxContention,
  seconds,
  subtractOwn,
  waitUntil,
} from "../support/kit.js";
import { counterDelta, writesDelta } from "../support/prometheus.js";
import type { RotationRun } from "../support/results.js";
import type { SizeRun } from "../support/size-run.js";

/** How a rotation is forced; the referenced keys Secret's update would start one as well. */
const trigger = "regcred.dev/rotate annotation on the ClusterRegistryCredential";

/**
 * A forced rotation of the running operator: a new regcred.dev/rotate value on the
 * ClusterRegistryCredential, timed from that patch to the watch event of the last of the N Secrets
 * carrying a new token. CPU is the operator's utime + stime from the patch until it was quiet again.
 */
export async function rotate(world: SizeRun, run: number, label: string): Promise<RotationRun> {
  const { n, options } = world;
  const before = await world.operator.quiesce(3000, 300_000);
  const ecrBefore = world.ecr.calls;
  const apiBefore = await world.apiserverWrites();
  const old = new Map(world.names.map((ns) => [ns, world.secrets.entries.get(ns)?.value]));
  const load = contention(world.cp.dir);
  log(
    `N=${n}: rotation ${run}/${options.repeats} (${label}): rotate annotation (load ${load.load1}, other apiservers ${load.foreignApiservers})`,
  );
  const cpuBefore = world.operator.cpuSeconds();
  const t0 = performance.now();
  await world.requestRotation();
  await waitUntil(
    `rotation ${run}`,
    () => {
      const { count } = changedSecrets(world.secrets, world.names, old);
      return { done: count === n, progress: `${count}/${n} Secrets hold the new token` };
    },
    120_000 + (n / Math.min(world.profile.qps, 1000)) * 4000,
    world.operatorDied,
  );
  const { lastAt, values } = changedSecrets(world.secrets, world.names, old);
  const convergenceSeconds = seconds(lastAt - t0);
  const after = await world.operator.quiesce(3000, 300_000);
  const cpuSeconds = Math.round((world.operator.cpuSeconds() - cpuBefore) * 100) / 100;
  const delta = counterDelta(after, before);
  const api = writesDelta(await world.apiserverWrites(), apiBefore);
  // The bench's own write: the annotation patch.
  subtractOwn(api, "PATCH clusterregistrycredentials 200", 1);
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
    cpuSeconds,
    apiserver: apiserverWriteSummary(api),
  };
  log(
    `N=${n}: rotation ${run} (${label}): all ${n} Secrets hold the new token after ${convergenceSeconds} s; ` +
      `provider calls ${result.providerCalls} (fake ECR saw ${result.fakeEcrCalls}), Secret updates ${result.secretUpdates}, ` +
      `ServiceAccount patches ${result.serviceAccountPatches}, CPU ${cpuSeconds} s; apiserver (bench's own write subtracted): ${result.apiserver.detail}`,
  );
  return result;
}
