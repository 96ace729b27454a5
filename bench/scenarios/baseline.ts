import { runPool } from "../../src/controller/credential/targets.js";
import { createKubeClients } from "../../src/kube/clients.js";
import {
  baselineManagedBy,
  baselineSecretName,
  type ClientProfile,
  changedSecrets,
  contention,
  freshDockerConfig,
  log,
  maxContention,
  seconds,
  waitUntil,
} from "../support/kit.js";
import type { BaselineRun } from "../support/results.js";
import type { SizeRun } from "../support/size-run.js";

/**
 * The bare client: client-node's CoreV1Api with the operator's own TokenBucket (the profile's
 * qps/burst), replacing the N baseline Secrets with runPool at the profile's concurrency. The
 * resourceVersions are listed first, untimed, as the operator has them in its informer cache.
 */
export async function baseline(world: SizeRun, label: string, profile: ClientProfile): Promise<BaselineRun> {
  const { n } = world;
  const tracker = await world.prepareBaseline();
  if (world.operator && !world.operator.hasExited()) await world.operator.quiesce(3000, 300_000);
  const listed = await world.core.listSecretForAllNamespaces({
    labelSelector: `app.kubernetes.io/managed-by=${baselineManagedBy}`,
  });
  const versions = new Map(listed.items.map((s) => [s.metadata?.namespace, s.metadata?.resourceVersion]));
  const old = new Map(world.names.map((ns) => [ns, tracker.entries.get(ns)?.value]));
  const config = freshDockerConfig(
    Buffer.from(world.baselineTemplate.data?.[".dockerconfigjson"] ?? "", "base64").toString("utf8"),
  );
  const client = createKubeClients(world.kc, { qps: profile.qps, burst: profile.burst }).core;
  const load = contention(world.cp.dir);
  log(
    `N=${n}: baseline ${label}: bare client replaces ${n} Secrets, concurrency ${profile.concurrency}, qps ${profile.qps} ` +
      `(load ${load.load1}, other apiservers ${load.foreignApiservers})`,
  );
  const t0 = performance.now();
  let putsDone = 0;
  const writes = runPool(world.names, profile.concurrency, async (namespace) => {
    await client.replaceNamespacedSecret({
      namespace,
      name: baselineSecretName,
      body: world.baselineBody(namespace, config, versions.get(namespace)),
    });
    putsDone++;
  }).then(() => performance.now() - t0);
  let failed: unknown;
  writes.catch((error: unknown) => {
    failed = error;
  });
  await waitUntil(
    `baseline ${label}`,
    () => {
      const { count } = changedSecrets(tracker, world.names, old);
      return { done: count === n, progress: `${count}/${n} Secrets updated, ${putsDone} PUTs returned` };
    },
    120_000 + (n / Math.min(profile.qps, 1000)) * 4000,
    () => (failed ? `a baseline write failed: ${(failed as Error).message}` : undefined),
  );
  const putsMs = await writes;
  const { lastAt } = changedSecrets(tracker, world.names, old);
  const result = {
    concurrency: profile.concurrency,
    convergenceSeconds: seconds(lastAt - t0),
    putsSeconds: seconds(putsMs),
    contention: maxContention(load, contention(world.cp.dir)),
  };
  log(
    `N=${n}: baseline ${label}: all ${n} Secrets seen updated after ${result.convergenceSeconds} s ` +
      `(PUTs returned after ${result.putsSeconds} s)`,
  );
  return result;
}
