import { crcName, log, seconds, waitUntil } from "../support/kit.js";
import { counterDelta } from "../support/prometheus.js";
import type { StartupResult } from "../support/results.js";
import type { SizeRun } from "../support/size-run.js";
import { restartResync } from "./restart-resync.js";

/**
 * The first start at scale: with the ClusterRegistryCredential and the N namespaces already in
 * place (no Secret yet), the operator is started with the lifted profile; times from the spawn to
 * /readyz (caches synced) and to the watch event of the last Secret or `default` patch. Every
 * scenario of the world starts from here.
 */
export async function coldStart(
  world: SizeRun,
  extraSpec: Record<string, unknown> = {},
): Promise<StartupResult["cold"]> {
  const { n, options } = world;
  await world.createFanOutCredential(extraSpec);
  await world.startTrackers();
  log(`N=${n}: first start of the operator over ${n} namespaces (no Secret yet)`);
  const operator = await world.startOperator(options.lifted, "first");
  const readySeconds = seconds(operator.readyAt - operator.startedAt);
  await waitUntil(
    "initial fan-out",
    () => {
      const { secrets, accounts } = world.covered();
      return {
        done: secrets === n && accounts === n,
        progress: `${secrets}/${n} Secrets, ${accounts}/${n} default ServiceAccounts list it`,
      };
    },
    120_000 + ((2 * n) / Math.min(options.lifted.qps, 1000)) * 4000,
    world.operatorDied,
  );
  let last = 0;
  for (const ns of world.names) {
    last = Math.max(last, world.secrets.entries.get(ns)?.at ?? 0, world.accounts.entries.get(ns)?.at ?? 0);
  }
  const settledSeconds = seconds(last - operator.startedAt);
  const counters = counterDelta(await operator.quiesce(3000, 300_000), {
    secretCreates: 0,
    secretUpdates: 0,
    secretDeletes: 0,
    serviceAccountPatches: 0,
    providerCalls: 0,
    providerFailures: 0,
    reconciles: 0,
    queueDepth: 0,
  });
  await world.credentials.waitFor(crcName, (crc) => crc.status?.namespaces?.inSync === n, 60_000);
  const cold = {
    readySeconds,
    settledSeconds,
    secretCreates: counters.secretCreates,
    serviceAccountPatches: counters.serviceAccountPatches,
    providerCalls: counters.providerCalls,
    memory: world.memoryOf(operator),
  };
  log(
    `N=${n}: first start: ready after ${readySeconds} s, all Secrets and ServiceAccounts after ${settledSeconds} s ` +
      `(${cold.secretCreates} Secret creates, ${cold.serviceAccountPatches} ServiceAccount patches, ${cold.providerCalls} provider calls)`,
  );
  return cold;
}

/** Start-up at scale: the world's first start, then a restart over the unchanged state. */
export async function startup(world: SizeRun, cold: StartupResult["cold"]): Promise<StartupResult> {
  const restart = await restartResync(world);
  return { n: world.n, profile: world.options.lifted, cold, restart };
}
