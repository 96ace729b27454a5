// `npm run bench [-- --sizes 1000,5000 --qps 100 --burst 200 --concurrency 16]`
//
// Fan-out benchmark of one ClusterRegistryCredential (one identity) across N namespaces, against
// the real control plane (etcd, kube-apiserver, kube-controller-manager) with the operator as its
// own process (node dist/main.js). For each N it measures: convergence after a forced rotation
// against a bare-client baseline with the same rate limit and concurrency, provider calls and API
// writes per rotation, the operator's peak RSS, the latency from namespace creation to a usable
// pull Secret, and the writes of a restart with nothing to change. Results go to
// docs/benchmarks.md (between generated markers), docs/benchmarks-fanout.svg and
// bench/results/fan-out.json.
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Secret,
} from "@kubernetes/client-node";
import { runPool } from "../src/controller/credential/targets.js";
import { createKubeClients } from "../src/kube/clients.js";
import { FakeEcrServer } from "../test/fakes/ecr/fake-ecr-server.js";
import { type ControlPlane, startControlPlane } from "../test/support/controlplane/controlplane.js";
import { onTerminationSignal } from "../test/support/controlplane/processes.js";
import { installCrds } from "../test/support/crds.js";
import {
  awsKeysSecret,
  ClusterRegistryCredentials,
  clusterRegistryCredential,
} from "../test/support/fixtures.js";
import { OperatorProcess, sleep } from "./support/operator-process.js";
import {
  type ApiserverWrites,
  counterDelta,
  describeWrites,
  scrapeApiserverWrites,
  writesDelta,
  writesOn,
} from "./support/prometheus.js";
import {
  type BaselineRun,
  type BenchResults,
  type Contention,
  type Machine,
  type ProcessMemory,
  type RotationRun,
  type SizeResult,
  writeReport,
} from "./support/report.js";
import { WatchTracker } from "./support/watch-tracker.js";

const usage = `usage: npm run bench -- [--sizes 1000,5000] [--qps 100] [--burst 200] [--concurrency 16]
                        [--repeats 2] [--new-namespaces 200] [--pace-ms 100] [--output docs/benchmarks.md]
                        [--log-level warn] [--keep-logs]

--qps/--burst/--concurrency apply to the operator and to the bare-client baseline alike.
--repeats      forced rotations (and baseline runs) per size
--pace-ms      interval between the creations of the new namespaces of the latency measurement
--output       the Markdown report; the plot goes next to it as <name>-fanout.svg
--log-level    the operator's log level (default warn); --keep-logs keeps its log files
Environment: BENCH_OPERATOR_MAIN=path/to/main.js measures another build (default dist/main.js).`;

interface Options {
  sizes: number[];
  qps: number;
  burst: number;
  concurrency: number;
  repeats: number;
  newNamespaces: number;
  paceMs: number;
  output: string;
  logLevel: string;
  keepLogs: boolean;
}

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

function parseOptions(): Options {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        sizes: { type: "string", default: "1000,5000" },
        qps: { type: "string", default: "100" },
        burst: { type: "string", default: "200" },
        concurrency: { type: "string", default: "16" },
        repeats: { type: "string", default: "2" },
        "new-namespaces": { type: "string", default: "200" },
        "pace-ms": { type: "string", default: "100" },
        output: { type: "string", default: join(repoRoot, "docs", "benchmarks.md") },
        "log-level": { type: "string", default: "warn" },
        "keep-logs": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const positive = (name: string, text: string, allowZero = false) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
      console.error(`--${name} must be a ${allowZero ? "non-negative" : "positive"} integer, got "${text}"`);
      process.exit(2);
    }
    return value;
  };
  const sizes = String(values.sizes)
    .split(",")
    .map((s) => positive("sizes", s.trim()));
  return {
    sizes,
    qps: positive("qps", String(values.qps)),
    burst: positive("burst", String(values.burst)),
    concurrency: positive("concurrency", String(values.concurrency)),
    repeats: positive("repeats", String(values.repeats)),
    newNamespaces: positive("new-namespaces", String(values["new-namespaces"])),
    paceMs: positive("pace-ms", String(values["pace-ms"]), true),
    output: String(values.output),
    logLevel: String(values["log-level"]),
    keepLogs: values["keep-logs"] === true,
  };
}

const started = performance.now();
function log(line: string): void {
  const elapsed = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  console.log(`[bench +${elapsed}s] ${line}`);
}

const operatorNamespace = "regcred-system";
const crcName = "bench";
const pullSecretName = "bench-pull";
const baselineSecretName = "bench-baseline";
const keysSecretName = "bench-aws-keys";
const targetLabel = "bench.regcred.dev/fanout";
const managedSelector = "app.kubernetes.io/managed-by=registry-credential-operator";
const baselineManagedBy = "regcred-bench-baseline";
const refreshedAtKey = "regcred.dev/refreshed-at";
const keys = { accessKeyId: "AKIABENCHFANOUT00001", secretAccessKey: "bench-fan-out-secret-key/0123456789" };

/** Processes and servers to stop on Ctrl-C (the control plane registers its own cleanup). */
const live: { operator?: OperatorProcess; ecr?: FakeEcrServer } = {};
onTerminationSignal(async () => {
  log("interrupted: stopping the operator and the fake ECR");
  await live.operator?.stop();
  await live.ecr?.close();
});

interface SecretSummary {
  refreshedAt: string;
  digest: string;
}

const summarizeSecret = (secret: V1Secret): SecretSummary => ({
  refreshedAt: secret.metadata?.annotations?.[refreshedAtKey] ?? "",
  digest: createHash("sha256")
    .update(secret.data?.[".dockerconfigjson"] ?? "")
    .digest("hex")
    .slice(0, 16),
});

function statusCode(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/** Runs request, retrying 429, 5xx and network errors up to five times; 409 is returned as "exists". */
async function politely<T>(request: () => Promise<T>): Promise<T | "exists"> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      const code = statusCode(error);
      if (code === 409) return "exists";
      const retriable = code === undefined || code === 429 || code >= 500;
      if (!retriable || attempt >= 5) throw error;
      await sleep(200 * 2 ** attempt);
    }
  }
}

/** Polls check every intervalMs, printing its progress every few seconds; throws after timeoutMs. */
async function waitUntil(
  what: string,
  check: () => { done: boolean; progress: string },
  timeoutMs: number,
  abort: () => string | undefined = () => undefined,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let lastReport = performance.now();
  for (;;) {
    const { done, progress } = check();
    if (done) return;
    const reason = abort();
    if (reason) throw new Error(`${what}: ${reason}`);
    if (performance.now() > deadline)
      throw new Error(`timed out after ${(timeoutMs / 1000).toFixed(0)} s waiting for ${what} (${progress})`);
    if (performance.now() - lastReport >= 3000) {
      lastReport = performance.now();
      log(`  … ${what}: ${progress}`);
    }
    await sleep(50);
  }
}

/**
 * The 1-minute load average, and how many kube-apiservers other than this run's are running on the
 * machine (other people's test runs compete for the same CPUs).
 */
function contention(ownDir: string): Contention {
  let foreign = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cmdline.includes("kube-apiserver\0") && !cmdline.includes(ownDir)) foreign++;
    } catch {
      // the process exited
    }
  }
  return { load1: Math.round((loadavg()[0] ?? 0) * 100) / 100, foreignApiservers: foreign };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

const pad = (i: number, width: number) => String(i).padStart(width, "0");
const seconds = (ms: number) => Math.round(ms) / 1000;

/** The same docker config with every password (and auth) replaced by random text of the same length. */
function freshDockerConfig(template: string): string {
  const config = JSON.parse(template) as { auths: Record<string, { username: string; password: string }> };
  for (const entry of Object.values(config.auths)) {
    const password = randomBytes(entry.password.length).toString("base64url").slice(0, entry.password.length);
    Object.assign(entry, {
      password,
      auth: Buffer.from(`${entry.username}:${password}`).toString("base64"),
    });
  }
  return JSON.stringify(config);
}

class SizeRun {
  private cp!: ControlPlane;
  private kc!: KubeConfig;
  private core!: CoreV1Api;
  private tls!: { ca: string; cert: string; key: string };
  private ecr!: FakeEcrServer;
  private operator!: OperatorProcess;
  private credentials!: ClusterRegistryCredentials;
  private secrets!: WatchTracker<SecretSummary>;
  private baselineSecrets!: WatchTracker<SecretSummary>;
  private accounts!: WatchTracker<{ lists: boolean }>;
  private readonly names: string[];
  private readonly logDir: string;
  private keysAloneRotates: boolean | undefined;
  private rotations = 0;

  constructor(
    private readonly n: number,
    private readonly options: Options,
  ) {
    this.names = Array.from({ length: n }, (_, i) => `bench-${pad(i, 5)}`);
    this.logDir = mkdtempSync(join(tmpdir(), `regcred-bench-${n}-`));
  }

  private get settings() {
    return {
      kubeconfigPath: this.cp.kubeconfigPath,
      operatorNamespace,
      concurrency: this.options.concurrency,
      qps: this.options.qps,
      burst: this.options.burst,
      ecrEndpoint: this.ecr.endpoint,
      logDir: this.logDir,
      logLevel: this.options.logLevel,
    };
  }

  private operatorDied = () =>
    this.operator.hasExited() ? `the operator exited:\n${this.operator.logTail()}` : undefined;

  async run(): Promise<SizeResult> {
    const n = this.n;
    log(`N=${n}: starting a fresh control plane`);
    this.cp = await startControlPlane({ report: (line) => log(`  control plane: ${line}`) });
    try {
      return await this.measure();
    } catch (error) {
      if (live.operator) log(`operator log tail:\n${live.operator.logTail(40)}`);
      throw error;
    } finally {
      await live.operator?.stop();
      live.operator = undefined;
      await live.ecr?.close();
      live.ecr = undefined;
      this.secrets?.stop();
      this.baselineSecrets?.stop();
      this.accounts?.stop();
      await this.cp.stop();
      if (this.options.keepLogs) log(`N=${this.n}: operator logs kept in ${this.logDir}`);
      else rmSync(this.logDir, { recursive: true, force: true });
    }
  }

  private async measure(): Promise<SizeResult> {
    const { n, options } = this;
    this.kc = new KubeConfig();
    this.kc.loadFromFile(this.cp.kubeconfigPath);
    this.core = this.kc.makeApiClient(CoreV1Api);
    this.tls = { ca: this.cp.caPem, cert: this.cp.admin.certPem, key: this.cp.admin.keyPem };
    this.credentials = new ClusterRegistryCredentials(this.kc);
    await installCrds(this.kc);
    await this.core.createNamespace({ body: { metadata: { name: operatorNamespace } } });
    await this.core.createNamespacedSecret({
      namespace: operatorNamespace,
      body: awsKeysSecret(keysSecretName, keys),
    });
    this.ecr = await new FakeEcrServer("eu-west-1").start();
    live.ecr = this.ecr;
    this.ecr.registerCredentials(keys);

    // N target namespaces, created with bounded concurrency by an unthrottled client.
    const nsStart = performance.now();
    await this.createNamespaces(this.names, 32);
    const namespacesSeconds = seconds(performance.now() - nsStart);
    log(`N=${n}: ${n} namespaces created in ${namespacesSeconds} s`);

    this.secrets = new WatchTracker<SecretSummary>({
      kc: this.kc,
      tls: this.tls,
      path: "/api/v1/secrets",
      labelSelector: managedSelector,
      fieldSelector: `metadata.name=${pullSecretName}`,
      summarize: summarizeSecret,
    });
    this.accounts = new WatchTracker<{ lists: boolean }>({
      kc: this.kc,
      tls: this.tls,
      path: "/api/v1/serviceaccounts",
      fieldSelector: "metadata.name=default",
      summarize: (sa: { imagePullSecrets?: { name?: string }[] }) => ({
        lists: sa.imagePullSecrets?.some((r) => r.name === pullSecretName) ?? false,
      }),
    });
    await Promise.all([this.secrets.start(), this.accounts.start()]);

    // The operator, then the ClusterRegistryCredential; wait for the initial fan-out.
    this.operator = await OperatorProcess.start(this.settings, `operator-${n}-first`);
    live.operator = this.operator;
    const initialBefore = await this.operator.counters();
    const fanOutStart = performance.now();
    await this.credentials.create(
      clusterRegistryCredential(crcName, {
        sources: [
          {
            ecr: {
              region: "eu-west-1",
              auth: { secretRef: { name: keysSecretName, namespace: operatorNamespace } },
            },
          },
        ],
        namespaces: { selector: { matchLabels: { [targetLabel]: "true" } } },
        serviceAccounts: { names: ["default"] },
        secret: { name: pullSecretName },
        refresh: { minInterval: "1m" },
      }),
    );
    await waitUntil(
      "initial fan-out",
      () => {
        const secrets = this.names.filter((ns) => this.secrets.entries.has(ns)).length;
        const accounts = this.names.filter((ns) => this.accounts.entries.get(ns)?.value.lists).length;
        return {
          done: secrets === n && accounts === n,
          progress: `${secrets}/${n} Secrets, ${accounts}/${n} default ServiceAccounts list it`,
        };
      },
      120_000 + ((2 * n) / options.qps) * 4000,
      this.operatorDied,
    );
    const initialFanOutSeconds = seconds(performance.now() - fanOutStart);
    const initial = counterDelta(await this.operator.quiesce(3000, 300_000), initialBefore);
    await this.credentials.waitFor(crcName, (crc) => crc.status?.namespaces?.inSync === n, 60_000);
    log(
      `N=${n}: initial fan-out in ${initialFanOutSeconds} s (${initial.secretCreates} Secret creates, ` +
        `${initial.serviceAccountPatches} ServiceAccount patches, ${initial.providerCalls} provider calls)`,
    );

    // Forced rotations and bare-client baselines, interleaved.
    await this.prepareBaseline();
    const rotations: RotationRun[] = [];
    const baselines: BaselineRun[] = [];
    for (let i = 1; i <= options.repeats; i++) {
      baselines.push(await this.baseline(i));
      rotations.push(await this.rotate(i));
    }

    const newNamespaces = await this.newNamespaceLatency();
    const first = this.memoryOf(this.operator);
    const resync = await this.restartResync();
    const restarted = this.memoryOf(this.operator);
    log(
      `N=${n}: operator peak RSS (VmHWM) ${(first.peakRss / 1e6).toFixed(1)} MB for the first process, ` +
        `${(restarted.peakRss / 1e6).toFixed(1)} MB for the restarted one (${(first.ready.rss / 1e6).toFixed(1)} MB right after start)`,
    );
    return {
      n,
      kubernetesVersion: this.cp.version,
      namespacesSeconds,
      initialFanOutSeconds,
      initialWrites: {
        secretCreates: initial.secretCreates,
        serviceAccountPatches: initial.serviceAccountPatches,
        providerCalls: initial.providerCalls,
      },
      keysSecretAloneRotates: this.keysAloneRotates ?? false,
      rotations,
      baselines,
      newNamespaces,
      resync,
      memory: { first, restarted },
    };
  }

  private memoryOf(operator: OperatorProcess): ProcessMemory {
    const ready = operator.readyMemory ?? { rss: 0, anon: 0, file: 0 };
    return {
      peakRss: operator.peakRssBytes(),
      peakAnon: Math.max(operator.peakAnonBytes, operator.memory().anon),
      peakSockets: operator.peakSockets,
      ready,
    };
  }

  private async createNamespaces(names: readonly string[], concurrency: number): Promise<void> {
    let done = 0;
    const timer = setInterval(() => log(`  … creating namespaces: ${done}/${names.length}`), 3000);
    try {
      await runPool(names, concurrency, async (name) => {
        await politely(() =>
          this.core.createNamespace({ body: { metadata: { name, labels: { [targetLabel]: "true" } } } }),
        );
        done++;
      });
    } finally {
      clearInterval(timer);
    }
  }

  private apiserverWrites(): Promise<ApiserverWrites> {
    return scrapeApiserverWrites(this.cp.server, this.tls);
  }

  /** Bare-client copies of the operator's Secrets (same shape), which the operator does not watch. */
  private baselineTemplate!: V1Secret;

  private baselineBody(namespace: string, dockerConfigJson: string, resourceVersion?: string): V1Secret {
    const t = this.baselineTemplate;
    return {
      apiVersion: "v1",
      kind: "Secret",
      type: t.type,
      metadata: {
        name: baselineSecretName,
        namespace,
        labels: { ...t.metadata?.labels, "app.kubernetes.io/managed-by": baselineManagedBy },
        annotations: { ...t.metadata?.annotations, [refreshedAtKey]: new Date().toISOString() },
        ...(t.metadata?.ownerReferences ? { ownerReferences: t.metadata.ownerReferences } : {}),
        ...(resourceVersion ? { resourceVersion } : {}),
      },
      data: { ".dockerconfigjson": Buffer.from(dockerConfigJson).toString("base64") },
    };
  }

  private async prepareBaseline(): Promise<void> {
    this.baselineTemplate = await this.core.readNamespacedSecret({
      namespace: this.names[0] as string,
      name: pullSecretName,
    });
    const encoded = this.baselineTemplate.data?.[".dockerconfigjson"] ?? "";
    const config = freshDockerConfig(Buffer.from(encoded, "base64").toString("utf8"));
    log(`N=${this.n}: creating ${this.n} baseline Secrets (untimed)`);
    let done = 0;
    const timer = setInterval(() => log(`  … baseline Secrets: ${done}/${this.n}`), 3000);
    try {
      await runPool(this.names, 32, async (namespace) => {
        await politely(() =>
          this.core.createNamespacedSecret({ namespace, body: this.baselineBody(namespace, config) }),
        );
        done++;
      });
    } finally {
      clearInterval(timer);
    }
    this.baselineSecrets = new WatchTracker<SecretSummary>({
      kc: this.kc,
      tls: this.tls,
      path: "/api/v1/secrets",
      labelSelector: `app.kubernetes.io/managed-by=${baselineManagedBy}`,
      fieldSelector: `metadata.name=${baselineSecretName}`,
      summarize: summarizeSecret,
    });
    await this.baselineSecrets.start();
  }

  /** Namespaces whose tracked Secret differs (content and refreshed-at) from `old`; and the last change. */
  private static changed(
    tracker: WatchTracker<SecretSummary>,
    names: readonly string[],
    old: Map<string, SecretSummary | undefined>,
  ): { count: number; lastAt: number; values: Set<string> } {
    let count = 0;
    let lastAt = 0;
    const values = new Set<string>();
    for (const ns of names) {
      const entry = tracker.entries.get(ns);
      const before = old.get(ns);
      if (entry && entry.value.digest !== before?.digest && entry.value.refreshedAt !== before?.refreshedAt) {
        count++;
        lastAt = Math.max(lastAt, entry.at);
        values.add(entry.value.digest);
      }
    }
    return { count, lastAt, values };
  }

  /**
   * The bare client: client-node's CoreV1Api with the operator's own TokenBucket (same qps/burst),
   * replacing the N baseline Secrets with runPool at the same concurrency. The resourceVersions are
   * listed first, untimed, as the operator has them in its informer cache.
   */
  private async baseline(run: number): Promise<BaselineRun> {
    const { n, options } = this;
    await this.operator.quiesce(3000, 300_000);
    const listed = await this.core.listSecretForAllNamespaces({
      labelSelector: `app.kubernetes.io/managed-by=${baselineManagedBy}`,
    });
    const versions = new Map(listed.items.map((s) => [s.metadata?.namespace, s.metadata?.resourceVersion]));
    const old = new Map(this.names.map((ns) => [ns, this.baselineSecrets.entries.get(ns)?.value]));
    const config = freshDockerConfig(
      Buffer.from(this.baselineTemplate.data?.[".dockerconfigjson"] ?? "", "base64").toString("utf8"),
    );
    const client = createKubeClients(this.kc, { qps: options.qps, burst: options.burst }).core;
    const load = contention(this.cp.dir);
    log(
      `N=${n}: baseline ${run}/${options.repeats}: bare client replaces ${n} Secrets (load ${load.load1}, other apiservers ${load.foreignApiservers})`,
    );
    const t0 = performance.now();
    let putsDone = 0;
    const writes = runPool(this.names, options.concurrency, async (namespace) => {
      await client.replaceNamespacedSecret({
        namespace,
        name: baselineSecretName,
        body: this.baselineBody(namespace, config, versions.get(namespace)),
      });
      putsDone++;
    }).then(() => performance.now() - t0);
    let failed: unknown;
    writes.catch((error: unknown) => {
      failed = error;
    });
    await waitUntil(
      `baseline ${run}`,
      () => {
        const { count } = SizeRun.changed(this.baselineSecrets, this.names, old);
        return { done: count === n, progress: `${count}/${n} Secrets updated, ${putsDone} PUTs returned` };
      },
      120_000 + (n / options.qps) * 4000,
      () => (failed ? `a baseline write failed: ${(failed as Error).message}` : undefined),
    );
    const putsMs = await writes;
    const { lastAt } = SizeRun.changed(this.baselineSecrets, this.names, old);
    const result = {
      convergenceSeconds: seconds(lastAt - t0),
      putsSeconds: seconds(putsMs),
      contention: maxContention(load, contention(this.cp.dir)),
    };
    log(
      `N=${n}: baseline ${run}: all ${n} Secrets seen updated after ${result.convergenceSeconds} s ` +
        `(PUTs returned after ${result.putsSeconds} s)`,
    );
    return result;
  }

  /**
   * A forced rotation: the referenced keys Secret changes (its resourceVersion is part of the
   * identity, so the cached token no longer applies). The first time, the bench waits 5 s to see
   * whether that alone starts a rotation; if it does not, every rotation also bumps the resource's
   * generation with a spec change that alters no output (refresh.minInterval 1m ↔ 60s).
   */
  private async rotate(run: number): Promise<RotationRun> {
    const { n, options } = this;
    const before = await this.operator.quiesce(3000, 300_000);
    const ecrBefore = this.ecr.calls;
    const apiBefore = await this.apiserverWrites();
    const old = new Map(this.names.map((ns) => [ns, this.secrets.entries.get(ns)?.value]));
    this.rotations++;
    const load = contention(this.cp.dir);
    log(
      `N=${n}: rotation ${run}/${options.repeats}: updating the keys Secret (load ${load.load1}, other apiservers ${load.foreignApiservers})`,
    );
    let t0 = performance.now();
    await this.core.patchNamespacedSecret(
      {
        namespace: operatorNamespace,
        name: keysSecretName,
        body: { metadata: { annotations: { "bench.regcred.dev/rotation": String(this.rotations) } } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    let benchWrites = 1;
    if (this.keysAloneRotates === undefined) {
      const probeEnd = performance.now() + 5000;
      while (performance.now() < probeEnd) {
        if (this.ecr.calls > ecrBefore || SizeRun.changed(this.secrets, this.names, old).count > 0) break;
        await sleep(50);
      }
      this.keysAloneRotates =
        this.ecr.calls > ecrBefore || SizeRun.changed(this.secrets, this.names, old).count > 0;
      log(
        this.keysAloneRotates
          ? `N=${n}:   the keys Secret update alone started the rotation`
          : `N=${n}:   no mint and no Secret write 5 s after the keys Secret update: the operator does not react to it; forcing the rotation with a no-op spec change`,
      );
    }
    let trigger = "keys Secret update";
    if (!this.keysAloneRotates) {
      trigger = "keys Secret update + no-op spec change";
      t0 = performance.now();
      await this.credentials.patchSpec(crcName, {
        refresh: { minInterval: this.rotations % 2 === 1 ? "60s" : "1m" },
      });
      benchWrites++;
    }
    await waitUntil(
      `rotation ${run}`,
      () => {
        const { count } = SizeRun.changed(this.secrets, this.names, old);
        return { done: count === n, progress: `${count}/${n} Secrets hold the new token` };
      },
      120_000 + (n / options.qps) * 4000,
      this.operatorDied,
    );
    const { lastAt, values } = SizeRun.changed(this.secrets, this.names, old);
    const convergenceSeconds = seconds(lastAt - t0);
    const after = await this.operator.quiesce(3000, 300_000);
    const delta = counterDelta(after, before);
    const api = writesDelta(await this.apiserverWrites(), apiBefore);
    // The bench's own writes: the keys Secret patch and (when needed) the spec change.
    subtractOwn(api, "PATCH secrets 200", 1);
    subtractOwn(api, "PATCH clusterregistrycredentials 200", benchWrites - 1);
    const result: RotationRun = {
      trigger,
      contention: maxContention(load, contention(this.cp.dir)),
      convergenceSeconds,
      distinctTokens: values.size,
      providerCalls: delta.providerCalls,
      fakeEcrCalls: this.ecr.calls - ecrBefore,
      secretUpdates: delta.secretUpdates,
      secretCreates: delta.secretCreates,
      serviceAccountPatches: delta.serviceAccountPatches,
      apiserver: {
        secretWrites: writesOn(api, "secrets"),
        serviceAccountWrites: writesOn(api, "serviceaccounts"),
        credentialWrites: writesOn(api, "clusterregistrycredentials"),
        eventWrites: writesOn(api, "events"),
        detail: describeWrites(api, relevantResource),
      },
    };
    log(
      `N=${n}: rotation ${run}: all ${n} Secrets hold the new token after ${convergenceSeconds} s; ` +
        `provider calls ${result.providerCalls} (fake ECR saw ${result.fakeEcrCalls}), Secret updates ${result.secretUpdates}, ` +
        `ServiceAccount patches ${result.serviceAccountPatches}; apiserver (bench's own writes subtracted): ${result.apiserver.detail}`,
    );
    return result;
  }

  /** Namespaces created one after another at a fixed pace; latency until Secret + patched `default`. */
  private async newNamespaceLatency(): Promise<SizeResult["newNamespaces"]> {
    const { n, options } = this;
    const count = options.newNamespaces;
    await this.operator.quiesce(3000, 300_000);
    const names = Array.from({ length: count }, (_, i) => `bench-new-${pad(i, 4)}`);
    const createdAt = new Map<string, number>();
    const secretAt = new Map<string, number>();
    const accountAt = new Map<string, number>();
    this.secrets.onChange((ns, entry) => {
      if (entry && createdAt.has(ns) && !secretAt.has(ns)) secretAt.set(ns, entry.at);
    });
    this.accounts.onChange((ns, entry) => {
      if (entry?.value.lists && createdAt.has(ns) && !accountAt.has(ns)) accountAt.set(ns, entry.at);
    });
    const load = contention(this.cp.dir);
    log(`N=${n}: creating ${count} new namespaces, one every ${options.paceMs} ms`);
    const t0 = performance.now();
    for (const [i, name] of names.entries()) {
      const slot = t0 + i * options.paceMs;
      if (performance.now() < slot) await sleep(slot - performance.now());
      createdAt.set(name, performance.now());
      await this.core.createNamespace({ body: { metadata: { name, labels: { [targetLabel]: "true" } } } });
      if ((i + 1) % 50 === 0) log(`  … created ${i + 1}/${count} new namespaces`);
    }
    await waitUntil(
      "new namespaces",
      () => {
        const done = names.filter((ns) => secretAt.has(ns) && accountAt.has(ns)).length;
        return { done: done === count, progress: `${done}/${count} have the Secret and a patched default` };
      },
      120_000,
      this.operatorDied,
    );
    const latencies = names
      .map(
        (ns) =>
          Math.max(secretAt.get(ns) as number, accountAt.get(ns) as number) - (createdAt.get(ns) as number),
      )
      .sort((a, b) => a - b);
    const result = {
      count,
      paceMs: options.paceMs,
      p50Ms: Math.round(percentile(latencies, 50)),
      p99Ms: Math.round(percentile(latencies, 99)),
      maxMs: Math.round(latencies[latencies.length - 1] as number),
      contention: maxContention(load, contention(this.cp.dir)),
    };
    log(`N=${n}: new namespaces: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms`);
    return result;
  }

  /** Stops the operator and starts a fresh process; nothing changed, so it must write nothing. */
  private async restartResync(): Promise<SizeResult["resync"]> {
    const { n } = this;
    await this.operator.quiesce(3000, 300_000);
    const old = new Map(this.secrets.entries);
    log(`N=${n}: restarting the operator (nothing changed: the resync must write nothing)`);
    await this.operator.stop();
    const ecrBefore = this.ecr.calls;
    const apiBefore = await this.apiserverWrites();
    const t0 = performance.now();
    this.operator = await OperatorProcess.start(this.settings, `operator-${n}-restarted`);
    live.operator = this.operator;
    const readySeconds = seconds(performance.now() - t0);
    const quietMs = 5000;
    let counters = await this.operator.quiesce(quietMs, 600_000);
    while (counters.reconciles === 0) {
      if (performance.now() - t0 > 120_000) throw new Error("the restarted operator reconciled nothing");
      await sleep(250);
      counters = await this.operator.quiesce(quietMs, 600_000);
    }
    const settledSeconds = seconds(performance.now() - t0 - quietMs);
    const api = writesDelta(await this.apiserverWrites(), apiBefore);
    const changedSecrets = [...this.secrets.entries].filter(
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
      fakeEcrCalls: this.ecr.calls - ecrBefore,
      changedSecrets,
      apiserver: {
        secretWrites: writesOn(api, "secrets"),
        serviceAccountWrites: writesOn(api, "serviceaccounts"),
        credentialWrites: writesOn(api, "clusterregistrycredentials"),
        eventWrites: writesOn(api, "events"),
        detail: describeWrites(api, relevantResource),
      },
    };
    log(
      `N=${n}: restart: ready after ${readySeconds} s, settled after ${settledSeconds} s (${result.reconciles} reconciles); ` +
        `Secret writes ${result.secretWrites}, ServiceAccount patches ${result.serviceAccountPatches}, ` +
        `provider calls ${result.providerCalls} (fake ECR saw ${result.fakeEcrCalls}); apiserver: ${result.apiserver.detail}`,
    );
    return result;
  }
}

function subtractOwn(writes: ApiserverWrites, key: string, count: number): void {
  const left = (writes.get(key) ?? 0) - count;
  if (left === 0) writes.delete(key);
  else writes.set(key, left);
}

function maxContention(a: Contention, b: Contention): Contention {
  return {
    load1: Math.max(a.load1, b.load1),
    foreignApiservers: Math.max(a.foreignApiservers, b.foreignApiservers),
  };
}

const relevantResource = (resource: string) =>
  /^(secrets|serviceaccounts|clusterregistrycredentials|events)(\/|$)/.test(resource);

/** The commit the operator was built from, and whether src/ had uncommitted changes. */
function operatorSource(): string {
  try {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: repoRoot, encoding: "utf8" }).trim();
    const commit = git("rev-parse", "--short", "HEAD");
    return git("status", "--porcelain", "--", "src") ? `${commit} + uncommitted changes in src/` : commit;
  } catch {
    return "unknown (not a git checkout)";
  }
}

async function main(): Promise<void> {
  const options = parseOptions();
  const machine: Machine = {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
    kubernetes: "",
    date: new Date().toISOString(),
    operatorSource: operatorSource(),
  };
  log(
    `fan-out benchmark: sizes ${options.sizes.join(", ")}; qps ${options.qps}, burst ${options.burst}, ` +
      `concurrency ${options.concurrency}; ${options.repeats} rotation(s) per size; ` +
      `${machine.nproc} CPUs, ${machine.memoryGiB} GiB, node ${machine.node}`,
  );
  const results: BenchResults = {
    machine,
    settings: {
      qps: options.qps,
      burst: options.burst,
      concurrency: options.concurrency,
      repeats: options.repeats,
      newNamespaces: options.newNamespaces,
      paceMs: options.paceMs,
    },
    sizes: [],
    durationSeconds: 0,
  };
  const jsonPath = join(repoRoot, "bench", "results", "fan-out.json");
  for (const n of options.sizes) {
    const run = new SizeRun(n, options);
    const result = await run.run();
    results.sizes.push(result);
    machine.kubernetes ||= result.kubernetesVersion;
    results.durationSeconds = seconds(performance.now() - started);
    mkdirSync(dirname(jsonPath), { recursive: true });
    writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  }
  results.durationSeconds = seconds(performance.now() - started);
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  const written = writeReport(results, options.output);
  log(`wrote ${written.join(", ")} and ${jsonPath}`);
  log(`done in ${(results.durationSeconds / 60).toFixed(1)} min`);
}

main().catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
