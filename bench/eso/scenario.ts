// The External Secrets Operator side of the benchmark for one N: ESO built from the module proxy,
// a ClusterGenerator (ECRAuthorizationToken) and a ClusterExternalSecret over the bench's N
// namespaces, against the same fake ECR and control plane as the operator.
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Secret,
} from "@kubernetes/client-node";
import { runPool } from "../../src/controller/credential/targets.js";
import type { FakeEcrServer } from "../../test/fakes/ecr/fake-ecr-server.js";
import type { ControlPlane } from "../../test/support/controlplane/controlplane.js";
import type { TlsClientOptions } from "../../test/support/controlplane/http.js";
import type { EsoSizeResult } from "../support/eso-result.js";
import {
  type ApiserverWrites,
  describeWrites,
  scrapeApiserverWrites,
  writesDelta,
  writesOn,
} from "../support/prometheus.js";
import { WatchTracker } from "../support/watch-tracker.js";
import { ensureEsoBinary } from "./build.js";
import { installEsoCrds } from "./crds.js";
import { type EcrFront, startEcrFront } from "./ecr-front.js";
import { EsoProcess, sleep } from "./eso-process.js";
import {
  cesName,
  clusterExternalSecret,
  clusterGenerator,
  type EsoKeys,
  esoGroup,
  esoKeysSecretName,
  esoSecretName,
  forceSyncAnnotation,
  generatorGroup,
} from "./manifests.js";

export interface EsoSizeInput {
  controlPlane: ControlPlane;
  kubeconfigPath: string;
  fakeEcr: FakeEcrServer;
  namespaces: readonly string[];
  namespaceLabel: string;
  newNamespaces: number;
  paceMs: number;
  log: (line: string) => void;
}

/** How ESO is run; the defaults match the operator's headline run (client limiter lifted). */
export interface EsoTuning {
  /** --concurrent (ESO's default is 1). */
  concurrent: number;
  /** --client-qps and --client-burst (ESO's defaults are 50 and 100). */
  qps: number;
  burst: number;
  /** Forced refreshes measured. */
  rotations: number;
  keys: EsoKeys;
}

export const defaultEsoTuning: EsoTuning = {
  concurrent: 16,
  qps: 5000,
  burst: 5000,
  rotations: 3,
  keys: "controller",
};

interface SecretDigest {
  digest: string;
}

const digestOf = (secret: V1Secret): SecretDigest => ({
  digest: createHash("sha256")
    .update(secret.data?.[".dockerconfigjson"] ?? "")
    .digest("hex")
    .slice(0, 16),
});

const writeVerbs = ["POST", "PUT", "PATCH"] as const;
const secretWrites = (writes: ApiserverWrites) =>
  writeVerbs.reduce((total, verb) => total + writesOn(writes, "secrets", verb), 0);
const esoResources = (resource: string) =>
  /^(secrets|externalsecrets|clusterexternalsecrets|generatorstates|events)(\/|$)/.test(resource);

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? undefined : (sorted[Math.floor((sorted.length - 1) / 2)] as number);
};
const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
const seconds = (ms: number) => Math.round(ms) / 1000;
const megabytes = (bytes: number) => Math.round(bytes / 1e5) / 10;

/**
 * Measures ESO at N = namespaces.length: installs ESO's CRDs, starts ESO (built first if needed,
 * which may take many minutes), fans a dockerconfigjson Secret out through a ClusterExternalSecret,
 * forces `tuning.rotations` refreshes, creates `newNamespaces` more namespaces one every paceMs,
 * then stops ESO. A measurement it cannot make is left undefined and explained in `notes`; throws
 * only when ESO cannot be built or started (the message says why). ESO's CRDs and objects stay in
 * the cluster: removing them would cascade N deletions through the garbage collector.
 */
export async function runEsoSize(
  input: EsoSizeInput,
  tuning: EsoTuning = defaultEsoTuning,
): Promise<EsoSizeResult> {
  const { controlPlane: cp, fakeEcr, namespaces, log } = input;
  const n = namespaces.length;
  const binary = await ensureEsoBinary((line) => log(`ESO build: ${line}`));
  const notes: string[] = binary.skipped.map((reason) => `not built: ${reason.split("\n")[0]}`);
  const result: EsoSizeResult = {
    n,
    version: `${binary.version} (Go module proxy)`,
    rotationSeconds: [],
    notes,
  };
  const kc = new KubeConfig();
  kc.loadFromFile(input.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const objects = kc.makeApiClient(CustomObjectsApi);
  const tls: TlsClientOptions = { ca: cp.caPem, cert: cp.admin.certPem, key: cp.admin.keyPem };
  const apiWrites = () => scrapeApiserverWrites(cp.server, tls);
  const logDir = mkdtempSync(join(tmpdir(), `regcred-bench-eso-${n}-`));
  const keys = {
    accessKeyId: "AKIABENCHESO00000001",
    secretAccessKey: randomBytes(30).toString("base64url"),
  };
  fakeEcr.registerCredentials(keys);

  log(`ESO N=${n}: installing ESO ${binary.version} CRDs`);
  const crdCount = await installEsoCrds(kc, binary.moduleDir);
  if (tuning.keys === "per-namespace") {
    log(`ESO N=${n}: copying the AWS keys Secret into ${n} namespaces (untimed)`);
    await createKeysSecrets(core, namespaces, keys);
  }
  await objects.createClusterCustomObject({
    group: generatorGroup,
    version: "v1alpha1",
    plural: "clustergenerators",
    body: clusterGenerator(fakeEcr.region, tuning.keys),
  });

  const secrets = new WatchTracker<SecretDigest>({
    kc,
    tls,
    path: "/api/v1/secrets",
    fieldSelector: `metadata.name=${esoSecretName}`,
    summarize: digestOf,
  });
  await secrets.start();
  const front: EcrFront = await startEcrFront(fakeEcr.region, fakeEcr.endpoint);
  let eso: EsoProcess | undefined;
  try {
    eso = await EsoProcess.start(
      {
        binary: binary.path,
        kubeconfigPath: input.kubeconfigPath,
        front,
        region: fakeEcr.region,
        ...(tuning.keys === "controller" ? { environmentKeys: keys } : {}),
        concurrent: tuning.concurrent,
        qps: tuning.qps,
        burst: tuning.burst,
        logDir,
      },
      `eso-${n}`,
    );
    const running = eso;
    const died = () => (running.hasExited() ? `ESO exited:\n${running.logTail(20)}` : undefined);
    notes.push(
      `ESO ${binary.version} controller only (${crdCount} CRDs from its deploy/crds/bundle.yaml, no webhook, ` +
        `no cert controller), --concurrent ${tuning.concurrent} --client-qps ${tuning.qps} --client-burst ${tuning.burst}; ` +
        `ECR reached through /etc/hosts in a private mount namespace → TLS front on ${front.address}:443 → the fake ECR; ` +
        (tuning.keys === "controller"
          ? "generator without auth: ESO's own credential chain (static keys in its environment, as IRSA would give it)"
          : `generator auth.secretRef: the keys Secret copied into each of the ${n} namespaces`),
    );

    // Initial fan-out: the ClusterExternalSecret creates N ExternalSecrets, each mints and writes.
    log(`ESO N=${n}: creating the ClusterExternalSecret over ${n} namespaces`);
    const callsBefore = fakeEcr.calls;
    const fanOutStart = performance.now();
    await objects.createClusterCustomObject({
      group: esoGroup,
      version: "v1",
      plural: "clusterexternalsecrets",
      body: clusterExternalSecret(input.namespaceLabel),
    });
    const fannedOut = await waitFor(
      "initial fan-out",
      () => {
        const present = namespaces.filter((ns) => secrets.entries.has(ns)).length;
        return { done: present === n, progress: `${present}/${n} Secrets` };
      },
      300_000 + n * 300,
      log,
      died,
    );
    if (fannedOut.ok) {
      result.initialFanOutSeconds = seconds(performance.now() - fanOutStart);
      log(
        `ESO N=${n}: initial fan-out in ${result.initialFanOutSeconds} s (${fakeEcr.calls - callsBefore} ECR calls so far)`,
      );
    } else notes.push(`initial fan-out not measured: ${fannedOut.reason}`);

    await settle(running, notes, "after the fan-out");
    result.idleRssMB = megabytes(running.rssBytes());
    log(
      `ESO N=${n}: idle RSS ${result.idleRssMB} MB after the fan-out (${megabytes(running.readyRssBytes)} MB at start)`,
    );

    if (fannedOut.ok) await rotations();
    await newNamespaceLatency();

    async function rotations(): Promise<void> {
      result.rotationTrigger =
        `"${forceSyncAnnotation}" annotation changed in the ClusterExternalSecret's externalSecretMetadata, ` +
        "which ESO copies onto every ExternalSecret (an annotation change makes each refresh)";
      const calls: number[] = [];
      const writes: number[] = [];
      let cpu = 0;
      for (let i = 1; i <= tuning.rotations; i++) {
        const old = new Map(namespaces.map((ns) => [ns, secrets.entries.get(ns)?.value.digest]));
        const callsAtStart = fakeEcr.calls;
        const apiAtStart = await apiWrites();
        const cpuAtStart = running.cpuSeconds();
        log(`ESO N=${n}: rotation ${i}/${tuning.rotations}: changing ${forceSyncAnnotation}`);
        const t0 = performance.now();
        await objects.patchClusterCustomObject(
          {
            group: esoGroup,
            version: "v1",
            plural: "clusterexternalsecrets",
            name: cesName,
            body: { spec: { externalSecretMetadata: { annotations: { [forceSyncAnnotation]: String(i) } } } },
          },
          setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
        );
        const changed = () => {
          let count = 0;
          let lastAt = 0;
          for (const ns of namespaces) {
            const entry = secrets.entries.get(ns);
            if (entry && entry.value.digest !== old.get(ns)) {
              count++;
              lastAt = Math.max(lastAt, entry.at);
            }
          }
          return { count, lastAt };
        };
        const done = await waitFor(
          `rotation ${i}`,
          () => {
            const { count } = changed();
            return { done: count === n, progress: `${count}/${n} Secrets hold a new token` };
          },
          300_000 + n * 300,
          log,
          died,
        );
        if (!done.ok) {
          notes.push(`rotation ${i} not measured: ${done.reason}`);
          break;
        }
        result.rotationSeconds.push(seconds(changed().lastAt - t0));
        await settle(running, notes, `after rotation ${i}`);
        const delta = writesDelta(await apiWrites(), apiAtStart);
        calls.push(fakeEcr.calls - callsAtStart);
        writes.push(secretWrites(delta));
        cpu += running.cpuSeconds() - cpuAtStart;
        log(
          `ESO N=${n}: rotation ${i}: ${result.rotationSeconds.at(-1)} s, ${calls.at(-1)} ECR calls, ` +
            `${writes.at(-1)} Secret writes (${describeWrites(delta, esoResources)})`,
        );
        if (i === 1) notes.push(`apiserver writes in rotation 1: ${describeWrites(delta, esoResources)}`);
      }
      result.providerCallsPerRotation = median(calls);
      result.secretWritesPerRotation = median(writes);
      const totalWrites = writes.reduce((a, b) => a + b, 0);
      if (totalWrites > 0) result.cpuSecondsPerWrite = Math.round((cpu / totalWrites) * 1e6) / 1e6;
    }

    async function newNamespaceLatency(): Promise<void> {
      const names = Array.from(
        { length: input.newNamespaces },
        (_, i) => `eso-new-${String(i).padStart(4, "0")}`,
      );
      if (names.length === 0) return;
      const createdAt = new Map<string, number>();
      const secretAt = new Map<string, number>();
      secrets.onChange((ns, entry) => {
        if (entry && createdAt.has(ns) && !secretAt.has(ns)) secretAt.set(ns, entry.at);
      });
      log(`ESO N=${n}: creating ${names.length} new namespaces, one every ${input.paceMs} ms`);
      const t0 = performance.now();
      for (const [i, name] of names.entries()) {
        const slot = t0 + i * input.paceMs;
        if (performance.now() < slot) await sleep(slot - performance.now());
        createdAt.set(name, performance.now());
        await core.createNamespace({
          body: { metadata: { name, labels: { [input.namespaceLabel]: "true" } } },
        });
        if (tuning.keys === "per-namespace") await createKeysSecrets(core, [name], keys);
      }
      const done = await waitFor(
        "new namespaces",
        () => ({
          done: secretAt.size === names.length,
          progress: `${secretAt.size}/${names.length} have the Secret`,
        }),
        120_000 + n * 100,
        log,
        died,
      );
      if (!done.ok)
        notes.push(
          `new-namespace latency over the ${secretAt.size} of ${names.length} that got their Secret: ${done.reason}`,
        );
      const latencies = [...secretAt]
        .map(([ns, at]) => at - (createdAt.get(ns) as number))
        .sort((a, b) => a - b);
      if (latencies.length === 0) return;
      result.newNamespaceP50Ms = Math.round(percentile(latencies, 50));
      result.newNamespaceP99Ms = Math.round(percentile(latencies, 99));
      log(
        `ESO N=${n}: new namespaces: p50 ${result.newNamespaceP50Ms} ms, p99 ${result.newNamespaceP99Ms} ms, ` +
          `max ${Math.round(latencies.at(-1) as number)} ms`,
      );
    }

    result.peakRssMB = megabytes(running.peakRssBytes());
    log(`ESO N=${n}: peak RSS (VmHWM) ${result.peakRssMB} MB`);
    const errors = running.errorSummary();
    if (errors.length > 0)
      notes.push(`errors in ESO's log (it retries them): ${errors.slice(0, 5).join("; ")}`);
    if (front.forwarded() === 0)
      notes.push("the TLS front forwarded nothing: ESO never reached the fake ECR");
    return result;
  } finally {
    await eso?.stop();
    secrets.stop();
    await front.close();
    const incomplete = notes.some((note) => / not measured|did not settle/.test(note));
    if (incomplete) notes.push(`ESO's log kept in ${logDir}`);
    else rmSync(logDir, { recursive: true, force: true });
  }
}

/** Waits for ESO to go quiet (3 s without a reconcile); a note instead of an error when it does not. */
async function settle(eso: EsoProcess, notes: string[], when: string): Promise<void> {
  try {
    await eso.quiesce(3000, 300_000);
  } catch (error) {
    notes.push(`ESO did not settle ${when}: ${(error as Error).message.split("\n")[0]}`);
  }
}

async function createKeysSecrets(
  core: CoreV1Api,
  namespaces: readonly string[],
  keys: { accessKeyId: string; secretAccessKey: string },
): Promise<void> {
  await runPool(namespaces, 16, async (namespace) => {
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: esoKeysSecretName },
        stringData: { "access-key-id": keys.accessKeyId, "secret-access-key": keys.secretAccessKey },
      },
    });
  });
}

/** Polls check every 50 ms, logging progress every 5 s; ok: false with the reason on timeout or abort. */
async function waitFor(
  what: string,
  check: () => { done: boolean; progress: string },
  timeoutMs: number,
  log: (line: string) => void,
  abort: () => string | undefined,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const deadline = performance.now() + timeoutMs;
  let lastReport = performance.now();
  for (;;) {
    const { done, progress } = check();
    if (done) return { ok: true };
    const reason = abort();
    if (reason) return { ok: false, reason: `${what}: ${reason}` };
    if (performance.now() > deadline)
      return { ok: false, reason: `timed out after ${Math.round(timeoutMs / 1000)} s (${progress})` };
    if (performance.now() - lastReport >= 5000) {
      lastReport = performance.now();
      log(`  … ${what}: ${progress}`);
    }
    await sleep(50);
  }
}
