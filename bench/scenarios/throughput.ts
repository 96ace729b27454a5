import { log } from "../support/kit.js";
import { sleep } from "../support/operator-process.js";
import type { ProfileRuns, ThroughputResult } from "../support/results.js";
import type { SizeRun } from "../support/size-run.js";
import { baseline } from "./baseline.js";
import { rotate } from "./rotate.js";

/** How long the operator must have been quiet before its idle RSS is read. */
const idleSettleMs = 5000;

/**
 * Throughput at the limit: forced rotations of the operator with the client limiter lifted, each
 * beside a bare-client run at the same concurrency; the apiserver's ceiling (the bare client
 * unthrottled at every concurrency of the sweep, the operator stopped so it competes for no CPU);
 * then the same with the limited profile. Leaves an operator with the lifted profile running.
 */
export async function throughput(world: SizeRun): Promise<ThroughputResult> {
  const { options, n } = world;
  if (world.profile !== options.lifted) await world.startOperator(options.lifted, "lifted");
  const lifted = await profileRuns(world, "lifted");

  await world.operator.stop();
  const ceiling = [];
  for (const concurrency of options.ceilingConcurrencies) {
    for (let i = 1; i <= options.repeats; i++) {
      ceiling.push(
        await baseline(world, `ceiling c=${concurrency} ${i}/${options.repeats}`, {
          ...options.lifted,
          concurrency,
        }),
      );
    }
  }
  const best = Math.min(...ceiling.map((c) => c.convergenceSeconds));
  log(`N=${n}: apiserver ceiling: best bare-client run ${best} s`);

  await world.startOperator(options.limited, "limited");
  const limited = await profileRuns(world, "limited");
  await world.startOperator(options.lifted, "lifted");
  return { n, lifted, limited, ceiling };
}

async function profileRuns(world: SizeRun, label: string): Promise<ProfileRuns> {
  const { options } = world;
  const profile = world.profile;
  const rotations = [];
  const baselines = [];
  for (let i = 1; i <= options.repeats; i++) {
    baselines.push(await baseline(world, `${label} ${i}/${options.repeats}`, profile));
    rotations.push(await rotate(world, i, label));
  }
  await world.operator.quiesce(3000, 300_000);
  await sleep(idleSettleMs);
  const memory = world.memoryOf(world.operator, world.operator.memory());
  log(
    `N=${world.n}: ${label}: operator peak RSS ${(memory.peakRss / 1e6).toFixed(1)} MB, idle ${((memory.idle?.rss ?? 0) / 1e6).toFixed(1)} MB`,
  );
  return { profile, rotations, baselines, memory };
}
