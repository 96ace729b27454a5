import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, KubeConfig, type V1Secret } from "@kubernetes/client-node";
import { runPool } from "../../src/controller/credential/targets.js";
import { FakeEcrServer } from "../../test/fakes/ecr/fake-ecr-server.js";
import { type ControlPlane, startControlPlane } from "../../test/support/controlplane/controlplane.js";
import { installCrds } from "../../test/support/crds.js";
import {
  awsKeysSecret,
  ClusterRegistryCredentials,
  clusterRegistryCredential,
} from "../../test/support/fixtures.js";
import { baseline } from "../scenarios/baseline.js";
import { newNamespaceLatency } from "../scenarios/new-namespace-latency.js";
import { restartResync } from "../scenarios/restart-resync.js";
import { rotate } from "../scenarios/rotate.js";
import {
  baselineManagedBy,
  baselineSecretName,
  crcName,
  freshDockerConfig,
  keys,
  keysSecretName,
  live,
  log,
  managedSelector,
  type Options,
  operatorNamespace,
  pad,
  politely,
  pullSecretName,
  refreshedAtKey,
  type SecretSummary,
  seconds,
  summarizeSecret,
  targetLabel,
  waitUntil,
} from "./kit.js";
import { OperatorProcess } from "./operator-process.js";
import { type ApiserverWrites, counterDelta, scrapeApiserverWrites } from "./prometheus.js";
import type { BaselineRun, ProcessMemory, RotationRun, SizeResult } from "./report.js";
import { WatchTracker } from "./watch-tracker.js";

/** One benchmark size: a fresh control plane, the operator, the fixtures, and every measurement of that size. */
export class SizeRun {
  cp!: ControlPlane;
  kc!: KubeConfig;
  core!: CoreV1Api;
  tls!: { ca: string; cert: string; key: string };
  ecr!: FakeEcrServer;
  operator!: OperatorProcess;
  credentials!: ClusterRegistryCredentials;
  secrets!: WatchTracker<SecretSummary>;
  baselineSecrets!: WatchTracker<SecretSummary>;
  accounts!: WatchTracker<{ lists: boolean }>;
  readonly names: string[];
  readonly logDir: string;
  keysAloneRotates: boolean | undefined;
  rotations = 0;

  constructor(
    readonly n: number,
    readonly options: Options,
  ) {
    this.names = Array.from({ length: n }, (_, i) => `bench-${pad(i, 5)}`);
    this.logDir = mkdtempSync(join(tmpdir(), `regcred-bench-${n}-`));
  }

  get settings() {
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

  operatorDied = () =>
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

  async measure(): Promise<SizeResult> {
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
      baselines.push(await baseline(this, i));
      rotations.push(await rotate(this, i));
    }

    const newNamespaces = await newNamespaceLatency(this);
    const first = this.memoryOf(this.operator);
    const resync = await restartResync(this);
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

  memoryOf(operator: OperatorProcess): ProcessMemory {
    const ready = operator.readyMemory ?? { rss: 0, anon: 0, file: 0 };
    return {
      peakRss: operator.peakRssBytes(),
      peakAnon: Math.max(operator.peakAnonBytes, operator.memory().anon),
      peakSockets: operator.peakSockets,
      ready,
    };
  }

  async createNamespaces(names: readonly string[], concurrency: number): Promise<void> {
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

  apiserverWrites(): Promise<ApiserverWrites> {
    return scrapeApiserverWrites(this.cp.server, this.tls);
  }

  /** Bare-client copies of the operator's Secrets (same shape), which the operator does not watch. */
  baselineTemplate!: V1Secret;

  baselineBody(namespace: string, dockerConfigJson: string, resourceVersion?: string): V1Secret {
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

  async prepareBaseline(): Promise<void> {
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
}
