import { CustomObjectsApi } from "@kubernetes/client-node";
import { registryCredentialNames } from "../../src/api/v1alpha1.js";
import { runPool } from "../../src/controller/credential/targets.js";
import { requestRotation } from "../../src/kube/request-rotation.js";
import {
  awsKeysSecret,
  ecrWithStaticKeys,
  RegistryCredentials,
  registryCredential,
} from "../../test/support/fixtures.js";
import {
  CallRecorder,
  fakeThrottleCount,
  peakInWindow,
  type RecordedCall,
} from "../support/call-recorder.js";
import {
  log,
  managedSelector,
  pad,
  percentile,
  politely,
  type SecretSummary,
  seconds,
  summarizeSecret,
  waitUntil,
} from "../support/kit.js";
import { sleep } from "../support/operator-process.js";
import { counterDelta } from "../support/prometheus.js";
import type { IdentitiesResult } from "../support/results.js";
import { SizeRun } from "../support/size-run.js";
import { WatchTracker } from "../support/watch-tracker.js";

const keysName = "bench-keys";

/**
 * Many identities: `credentials` RegistryCredentials spread over `namespaces` namespaces, every
 * namespace its own static keys (its own identity, registered on the fake ECR under one of
 * `accounts` accounts), tokens living `lifetimeSeconds`. Measures the initial mints, the scheduled
 * refreshes within one lifetime (how they spread), a fleet-wide rotation (a new regcred.dev/rotate
 * value on every RegistryCredential), provider failures and memory.
 */
export async function identities(world: SizeRun): Promise<IdentitiesResult> {
  const spec = world.options.identities;
  const perNamespace = Math.ceil(spec.credentials / spec.namespaces);
  const lifetimeMs = spec.lifetimeSeconds * 1000;
  const accounts = Array.from({ length: spec.accounts }, (_, i) => `2100000000${pad(i, 2)}`);
  world.ecr.setTokenLifetime(lifetimeMs);
  const keyOf = (i: number) => ({
    accessKeyId: `AKIABENCHID${pad(i, 9)}`,
    secretAccessKey: `bench-identity-secret-${pad(i, 5)}/0123456789abcdef`,
  });
  const namespaces = world.names;
  log(`identities: ${namespaces.length} keys Secrets (one identity each, ${accounts.length} accounts)`);
  await runPool(namespaces, 32, async (namespace) => {
    const i = namespaces.indexOf(namespace);
    const keys = keyOf(i);
    world.ecr.registerCredentials({ ...keys, accountId: accounts[i % accounts.length] as string });
    await politely(() =>
      world.core.createNamespacedSecret({ namespace, body: awsKeysSecret(keysName, keys) }),
    );
  });
  const credentials = namespaces
    .flatMap((namespace) =>
      Array.from({ length: perNamespace }, (_, j) => ({ namespace, name: `bench-${j}` })),
    )
    .slice(0, spec.credentials);
  const secrets = new WatchTracker<SecretSummary>({
    kc: world.kc,
    tls: world.tls,
    path: "/api/v1/secrets",
    labelSelector: managedSelector,
    keyOf: (namespace, name) => `${namespace}/${name}`,
    summarize: summarizeSecret,
  });
  await secrets.start();
  const recorder = new CallRecorder(world.ecr);
  try {
    const operator = await world.startOperator(world.options.lifted, "identities");
    const start = await operator.counters();
    const t0 = performance.now();
    log(`identities: creating ${credentials.length} RegistryCredentials`);
    await runPool(credentials, 32, async ({ namespace, name }) => {
      await politely(() =>
        new RegistryCredentials(world.kc, namespace).create(
          registryCredential(name, {
            sources: [ecrWithStaticKeys(keysName)],
            secret: { name: `${name}-pull` },
          }),
        ),
      );
    });
    const expected = credentials.map(({ namespace, name }) => `${namespace}/${name}-pull`);
    await waitUntil(
      "identities: every Secret",
      () => {
        const present = expected.filter((key) => secrets.entries.has(key)).length;
        return { done: present === expected.length, progress: `${present}/${expected.length} Secrets` };
      },
      300_000,
      world.operatorDied,
    );
    const initialSeconds = seconds(
      Math.max(...expected.map((key) => secrets.entries.get(key)?.at ?? 0)) - t0,
    );
    await operator.quiesce(3000, 300_000);
    const initialCalls = recorder.between(0);
    log(
      `identities: all ${expected.length} Secrets after ${initialSeconds} s, ${initialCalls.length} provider calls`,
    );

    // Scheduled refreshes: one round, until the latest time the default policy (0.5 ± 0.1 of the
    // lifetime, at least refresh.minInterval 1m) renews the last initial mint; the next round starts
    // 0.4 of a lifetime after the first refresh at the earliest, so no identity is counted twice.
    const windowStart = performance.now();
    const lastInitial = Math.max(...initialCalls.map((c) => c.at));
    const windowEnd = lastInitial + Math.max(0.6 * lifetimeMs, 60_000) + 5000;
    log(`identities: watching scheduled refreshes for ${((windowEnd - windowStart) / 1000).toFixed(0)} s`);
    while (performance.now() < windowEnd) {
      if (world.operatorDied()) throw new Error(world.operatorDied());
      await sleep(1000);
      const seen = recorder.between(windowStart).length;
      if (Math.round((performance.now() - windowStart) / 1000) % 15 === 0)
        log(`  … refreshes so far: ${seen}`);
    }
    const refreshes = recorder.between(windowStart, windowEnd);
    const refresh = spread(refreshes, recorder.calls, lifetimeMs, windowEnd - windowStart);
    log(
      `identities: ${refresh.calls} refreshes of ${refresh.distinctIdentities} identities; ` +
        `${refresh.sinceMintFraction.min}–${refresh.sinceMintFraction.max} of the lifetime after the previous mint; ` +
        `at most ${refresh.peakPerSecond}/s`,
    );

    // A fleet-wide rotation.
    await operator.quiesce(3000, 300_000);
    const before = await operator.counters();
    const old = new Map(expected.map((key) => [key, secrets.entries.get(key)?.value]));
    const custom = world.kc.makeApiClient(CustomObjectsApi);
    const value = `bench-fleet-${Date.now()}`;
    const cpuBefore = operator.cpuSeconds();
    const r0 = performance.now();
    log(`identities: rotating all ${credentials.length} RegistryCredentials (rotate annotation)`);
    await runPool(credentials, 32, async ({ namespace, name }) => {
      await politely(() =>
        requestRotation(custom, { plural: registryCredentialNames.plural, namespace, name }, value),
      );
    });
    const rotated = () =>
      expected.filter((key) => {
        const now = secrets.entries.get(key)?.value;
        return now && now.digest !== old.get(key)?.digest && now.refreshedAt !== old.get(key)?.refreshedAt;
      });
    await waitUntil(
      "identities: fleet rotation",
      () => {
        const done = rotated().length;
        return { done: done === expected.length, progress: `${done}/${expected.length} Secrets rotated` };
      },
      600_000,
      world.operatorDied,
    );
    const convergenceSeconds = seconds(
      Math.max(...expected.map((key) => secrets.entries.get(key)?.at ?? 0)) - r0,
    );
    const after = await operator.quiesce(3000, 300_000);
    const delta = counterDelta(after, before);
    const rotationCalls = recorder.between(r0);
    const rotation = {
      trigger: "regcred.dev/rotate annotation on every RegistryCredential",
      convergenceSeconds,
      providerCalls: delta.providerCalls,
      fakeEcrCalls: rotationCalls.length,
      distinctIdentities: new Set(rotationCalls.map((c) => c.accessKeyId)).size,
      secretWrites: delta.secretCreates + delta.secretUpdates,
      peakPerSecond: peakInWindow(rotationCalls, 1000),
      failedProviderCalls: delta.providerFailures,
      cpuSeconds: Math.round((operator.cpuSeconds() - cpuBefore) * 100) / 100,
    };
    log(
      `identities: fleet rotation converged after ${convergenceSeconds} s; ${rotation.fakeEcrCalls} provider calls ` +
        `(${rotation.distinctIdentities} identities, at most ${rotation.peakPerSecond}/s), ${rotation.secretWrites} Secret writes`,
    );
    await sleep(5000);
    const memory = world.memoryOf(operator, operator.memory());
    const throttledByFake = fakeThrottleCount(world.ecr);
    return {
      n: spec.credentials,
      namespaces: namespaces.length,
      identities: namespaces.length,
      credentials: credentials.length,
      accounts: accounts.length,
      tokenLifetimeSeconds: spec.lifetimeSeconds,
      profile: world.options.lifted,
      initialSeconds,
      initialProviderCalls: initialCalls.length,
      refresh,
      rotation,
      failedProviderCalls: counterDelta(await operator.counters(), start).providerFailures,
      ...(throttledByFake === undefined ? {} : { throttledByFake }),
      memory,
    };
  } finally {
    recorder.stop();
    secrets.stop();
  }
}

/** How the refresh calls spread: relative to each identity's previous mint, and over time. */
function spread(
  refreshes: readonly RecordedCall[],
  all: readonly RecordedCall[],
  lifetimeMs: number,
  windowMs: number,
): IdentitiesResult["refresh"] {
  const fractions = refreshes
    .map((call) => {
      const previous = all.filter((c) => c.accessKeyId === call.accessKeyId && c.at < call.at).at(-1);
      return previous ? (call.at - previous.at) / lifetimeMs : Number.NaN;
    })
    .filter((f) => !Number.isNaN(f))
    .sort((a, b) => a - b);
  const round = (f: number) => Math.round(f * 1000) / 1000;
  const first = Math.min(...refreshes.map((c) => c.at));
  const histogram: number[] = [];
  for (const call of refreshes) {
    const bucket = Math.floor((call.at - first) / 5000);
    while (histogram.length <= bucket) histogram.push(0);
    histogram[bucket] = (histogram[bucket] ?? 0) + 1;
  }
  return {
    windowSeconds: seconds(windowMs),
    calls: refreshes.length,
    distinctIdentities: new Set(refreshes.map((c) => c.accessKeyId)).size,
    sinceMintFraction: {
      min: round(fractions[0] ?? Number.NaN),
      p50: round(percentile(fractions, 50)),
      max: round(fractions.at(-1) ?? Number.NaN),
    },
    peakPerSecond: peakInWindow(refreshes, 1000),
    peakPerTenSeconds: peakInWindow(refreshes, 10_000),
    histogram,
  };
}

/** A world for the identities scenario: a control plane, the fake ECR and the namespaces, no ClusterRegistryCredential. */
export function identitiesWorld(options: SizeRun["options"]): SizeRun {
  return new SizeRun(options.identities.namespaces, options, "bench-id");
}
