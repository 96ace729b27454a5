import { contention, log, maxContention, pad, percentile, targetLabel, waitUntil } from "../support/kit.js";
import { sleep } from "../support/operator-process.js";
import type { NewNamespacesResult } from "../support/results.js";
import type { SizeRun } from "../support/size-run.js";

/** Namespaces created one after another at a fixed pace; latency until Secret + patched `default`. */
export async function newNamespaceLatency(world: SizeRun): Promise<NewNamespacesResult> {
  const { n, options } = world;
  const count = options.newNamespaces;
  await world.operator.quiesce(3000, 300_000);
  const names = Array.from({ length: count }, (_, i) => `bench-new-${pad(i, 4)}`);
  const createdAt = new Map<string, number>();
  const secretAt = new Map<string, number>();
  const accountAt = new Map<string, number>();
  world.secrets.onChange((ns, entry) => {
    if (entry && createdAt.has(ns) && !secretAt.has(ns)) secretAt.set(ns, entry.at);
  });
  world.accounts.onChange((ns, entry) => {
    if (entry?.value.lists && createdAt.has(ns) && !accountAt.has(ns)) accountAt.set(ns, entry.at);
  });
  const load = contention(world.cp.dir);
  log(`N=${n}: creating ${count} new namespaces, one every ${options.paceMs} ms`);
  const t0 = performance.now();
  for (const [i, name] of names.entries()) {
    const slot = t0 + i * options.paceMs;
    if (performance.now() < slot) await sleep(slot - performance.now());
    createdAt.set(name, performance.now());
    await world.core.createNamespace({ body: { metadata: { name, labels: { [targetLabel]: "true" } } } });
    if ((i + 1) % 50 === 0) log(`  … created ${i + 1}/${count} new namespaces`);
  }
  await waitUntil(
    "new namespaces",
    () => {
      const done = names.filter((ns) => secretAt.has(ns) && accountAt.has(ns)).length;
      return { done: done === count, progress: `${done}/${count} have the Secret and a patched default` };
    },
    120_000,
    world.operatorDied,
  );
  const latencies = names
    .map(
      (ns) =>
        Math.max(secretAt.get(ns) as number, accountAt.get(ns) as number) - (createdAt.get(ns) as number),
    )
    .sort((a, b) => a - b);
  const result = {
    n,
    count,
    paceMs: options.paceMs,
    p50Ms: Math.round(percentile(latencies, 50)),
    p99Ms: Math.round(percentile(latencies, 99)),
    maxMs: Math.round(latencies[latencies.length - 1] as number),
    contention: maxContention(load, contention(world.cp.dir)),
  };
  log(`N=${n}: new namespaces: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms`);
  return result;
}
