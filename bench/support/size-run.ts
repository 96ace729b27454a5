import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, CustomObjectsApi, KubeConfig, type V1Secret } from "@kubernetes/client-node";
import { clusterRegistryCredentialNames } from "../../src/api/v1alpha1.js";
import { runPool } from "../../src/controller/credential/targets.js";
import { requestRotation } from "../../src/kube/request-rotation.js";
import { FakeEcrServer } from "../../test/fakes/ecr/fake-ecr-server.js";
import { type ControlPlane, startControlPlane } from "../../test/support/controlplane/controlplane.js";
import { installCrds } from "../../test/support/crds.js";
import {
  awsKeysSecret,
  ClusterRegistryCredentials,
  clusterRegistryCredential,
} from "../../test/support/fixtures.js";
import {
  baselineManagedBy,
  baselineSecretName,
  type ClientProfile,
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
  summarizeSecret,
  targetLabel,
} from "./kit.js";
import { OperatorProcess } from "./operator-process.js";
import { type ApiserverWrites, scrapeApiserverWrites } from "./prometheus.js";
import type { ProcessMemory } from "./results.js";
import { WatchTracker } from "./watch-tracker.js";

/**
 * A fresh control plane with the CRDs, a fake ECR, N labelled namespaces, one ClusterRegistryCredential
 * selecting them, the bench's watches on its Secrets and ServiceAccounts, and the operator: what
 * every scenario at one N runs in. `open` creates it, `close` tears it all down.
 */
export class SizeRun {
  cp!: ControlPlane;
  kc!: KubeConfig;
  core!: CoreV1Api;
  custom!: CustomObjectsApi;
  tls!: { ca: string; cert: string; key: string };
  ecr!: FakeEcrServer;
  operator!: OperatorProcess;
  /** The client profile the running operator process was started with. */
  profile!: ClientProfile;
  credentials!: ClusterRegistryCredentials;
  secrets!: WatchTracker<SecretSummary>;
  baselineSecrets: WatchTracker<SecretSummary> | undefined;
  accounts!: WatchTracker<{ lists: boolean }>;
  readonly names: string[];
  readonly logDir: string;
  rotations = 0;
  private processes = 0;

  constructor(
    readonly n: number,
    readonly options: Options,
    readonly prefix = "bench",
  ) {
    this.names = Array.from({ length: n }, (_, i) => `${prefix}-${pad(i, 5)}`);
    this.logDir = mkdtempSync(join(tmpdir(), `regcred-bench-${n}-`));
  }

  settings(profile: ClientProfile, extraArgs: readonly string[] = []) {
    return {
      kubeconfigPath: this.cp.kubeconfigPath,
      operatorNamespace,
      concurrency: profile.concurrency,
      qps: profile.qps,
      burst: profile.burst,
      ecrEndpoint: this.ecr.endpoint,
      logDir: this.logDir,
      logLevel: this.options.logLevel,
      extraArgs,
    };
  }

  operatorDied = () =>
    this.operator?.hasExited() ? `the operator exited:\n${this.operator.logTail()}` : undefined;

  /** Control plane, CRDs, keys Secret, fake ECR and the N namespaces; no operator yet. */
  async open(): Promise<void> {
    log(`N=${this.n}: starting a fresh control plane`);
    this.cp = await startControlPlane({ report: (line) => log(`  control plane: ${line}`) });
    this.kc = new KubeConfig();
    this.kc.loadFromFile(this.cp.kubeconfigPath);
    this.core = this.kc.makeApiClient(CoreV1Api);
    this.custom = this.kc.makeApiClient(CustomObjectsApi);
    this.tls = { ca: this.cp.caPem, cert: this.cp.admin.certPem, key: this.cp.admin.keyPem };
    this.credentials = new ClusterRegistryCredentials(this.kc);
    await installCrds(this.kc);
    await this.core.createNamespace({ body: { metadata: { name: operatorNamespace } } });
    this.ecr = await new FakeEcrServer("eu-west-1").start();
    live.ecr = this.ecr;
    const nsStart = performance.now();
    await this.createNamespaces(this.names, 32);
    log(
      `N=${this.n}: ${this.n} namespaces created in ${((performance.now() - nsStart) / 1000).toFixed(1)} s`,
    );
  }

  /** Stops the operator, the fake ECR, the watches and the control plane. Never throws. */
  async close(): Promise<void> {
    try {
      await live.operator?.stop();
      live.operator = undefined;
      await live.ecr?.close();
      live.ecr = undefined;
      this.secrets?.stop();
      this.baselineSecrets?.stop();
      this.accounts?.stop();
      await this.cp?.stop();
    } catch (error) {
      log(`N=${this.n}: cleanup failed: ${(error as Error).message}`);
    }
    if (this.options.keepLogs) log(`N=${this.n}: operator logs kept in ${this.logDir}`);
    else rmSync(this.logDir, { recursive: true, force: true });
  }

  /** The keys Secret and the ClusterRegistryCredential over every bench namespace (patching `default`). */
  async createFanOutCredential(extraSpec: Record<string, unknown> = {}): Promise<void> {
    await this.core.createNamespacedSecret({
      namespace: operatorNamespace,
      body: awsKeysSecret(keysSecretName, keys),
    });
    this.ecr.registerCredentials(keys);
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
        ...extraSpec,
      }),
    );
  }

  /** The bench's watches on the managed Secrets and the `default` ServiceAccounts. */
  async startTrackers(): Promise<void> {
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
  }

  /** Namespaces among `names` whose Secret is present and whose `default` lists it. */
  covered(names: readonly string[] = this.names): { secrets: number; accounts: number } {
    return {
      secrets: names.filter((ns) => this.secrets.entries.has(ns)).length,
      accounts: names.filter((ns) => this.accounts.entries.get(ns)?.value.lists).length,
    };
  }

  /** Starts an operator process with `profile` (replacing the running one, if any). */
  async startOperator(profile: ClientProfile, label: string, extraArgs: readonly string[] = []) {
    if (live.operator) await live.operator.stop();
    this.processes++;
    this.operator = await OperatorProcess.start(
      this.settings(profile, extraArgs),
      `operator-${this.n}-${this.processes}-${label}`,
    );
    this.profile = profile;
    live.operator = this.operator;
    return this.operator;
  }

  /** Asks for a rotation of the ClusterRegistryCredential with the regcred.dev/rotate annotation. */
  async requestRotation(): Promise<void> {
    this.rotations++;
    await requestRotation(
      this.custom,
      { plural: clusterRegistryCredentialNames.plural, name: crcName },
      `bench-${Date.now()}-${this.rotations}`,
    );
  }

  memoryOf(operator: OperatorProcess, idle?: ProcessMemory["idle"]): ProcessMemory {
    const ready = operator.readyMemory ?? { rss: 0, anon: 0, file: 0 };
    return {
      peakRss: operator.peakRssBytes(),
      peakAnon: Math.max(operator.peakAnonBytes, operator.memory().anon),
      peakSockets: operator.peakSockets,
      ready,
      ...(idle ? { idle } : {}),
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

  /** Creates the N baseline Secrets (untimed) and watches them; once per world. */
  async prepareBaseline(): Promise<WatchTracker<SecretSummary>> {
    if (this.baselineSecrets) return this.baselineSecrets;
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
    return this.baselineSecrets;
  }
}
