import { Writable } from "node:stream";
import { ApiException, CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { OperatorConfig } from "../../src/config.js";
import { createLogger } from "../../src/logging/logger.js";
import { type OperatorOverrides, type RunningOperator, startOperator } from "../../src/operator.js";
import { type AzureOptions, defaultAzureClientFactories } from "../../src/providers/acr/provider.js";
import type { DefaultAwsClientOptions } from "../../src/providers/ecr/clients.js";
import { defaultAwsClientFactories } from "../../src/providers/ecr/provider.js";
import { defaultGoogleClientFactories, type GoogleEndpoints } from "../../src/providers/gar/provider.js";
import { parseMintRates } from "../../src/tokens/mint-rates.js";
import { recordShown } from "./leaks/ledger.js";

export interface TestOperatorOptions {
  kc: KubeConfig;
  /** Where the real AWS SDK clients send requests (fake ECR, moto). */
  aws?: DefaultAwsClientOptions;
  google?: Partial<GoogleEndpoints>;
  /** Where the acr provider finds Entra and registries; its ambient identity reads `environment` (default none). */
  azure?: AzureOptions;
  config?: Partial<OperatorConfig>;
  /** Where the registry check reaches registry hosts (with config.verification set). */
  registryProbe?: OperatorOverrides["registryProbe"];
  /** Log lines are appended here (JSON strings), for leak scans and debugging. */
  logs?: string[];
  /**
   * Create the operator namespace if missing (default true): in a cluster it exists, as the
   * operator runs in it. Off for operators on least-privilege credentials, which may not create it.
   */
  createOperatorNamespace?: boolean;
}

/**
 * Where a cloud endpoint a test does not set points: a loopback port nothing listens on, so calls
 * fail at once with ECONNREFUSED. The control plane is shared, so an operator also reconciles what
 * earlier test files left; without this, their sources would send it to the clouds' real hosts.
 */
const unreachable = "http://127.0.0.1:9";

/** `options` without its undefined fields, so an explicit undefined never replaces a default. */
function definedOnly<T extends object>(options: T | undefined): Partial<T> {
  return Object.fromEntries(
    Object.entries(options ?? {}).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}

export interface TestOperator extends RunningOperator {
  logs: string[];
  /** Sum of a metric's samples whose labels include `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
}

/**
 * Runs the operator in this process, as main.ts would, with the real SDK clients pointed at local
 * endpoints and logs captured at debug level. Each call is a fresh operator (empty token cache),
 * which is how tests model a restart.
 */
export async function startTestOperator(options: TestOperatorOptions): Promise<TestOperator> {
  const logs = options.logs ?? [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const config: OperatorConfig = {
    operatorNamespace: "regcred-system",
    operatorKeySecret: "registry-credential-operator-key",
    allowAmbientGoogleAccessTokens: false,
    ambientIdentityNamespaces: ["regcred-system"],
    metricsAddress: { host: "127.0.0.1", port: 0 },
    logLevel: "debug",
    concurrency: 8,
    kubeApiQps: 200,
    kubeApiBurst: 400,
    google: {},
    azure: {},
    // No config.verification unless a test sets one: registry hosts such as ECR's would otherwise
    // be looked up in DNS. No pod watch unless a test asks: a test's own failing pods would
    // otherwise cause fresh mints that its counts do not expect.
    pullFailureRemintMs: 5 * 60_000,
    watchPullFailures: false,
    mintRates: parseMintRates(undefined),
    watchReferencedSecrets: true,
    ...options.config,
  };
  // In a cluster the operator runs in its namespace, so it exists; here it may not yet.
  if (options.createOperatorNamespace ?? true) await ensureNamespace(options.kc, config.operatorNamespace);
  const operator = await startOperator(config, createLogger({ level: config.logLevel, destination: sink }), {
    kubeConfig: options.kc,
    processMetrics: false,
    ...(options.registryProbe ? { registryProbe: options.registryProbe } : {}),
    providers: {
      aws: defaultAwsClientFactories({
        ecrEndpoint: unreachable,
        ecrPublicEndpoint: unreachable,
        stsEndpoint: unreachable,
        ...definedOnly(options.aws),
      }),
      google: defaultGoogleClientFactories({
        stsTokenUrl: unreachable,
        iamCredentialsUrl: unreachable,
        ...definedOnly(config.google),
        ...definedOnly(options.google),
      }),
      azure: defaultAzureClientFactories({
        environment: {},
        authorityHost: unreachable,
        ...definedOnly(config.azure),
        ...definedOnly(options.azure),
      }),
    },
  });
  return {
    ...operator,
    logs,
    async stop() {
      await operator.stop();
      recordShown("operator-log", logs.join("\n"));
    },
    async metric(name, labels = {}) {
      const metric = operator.metrics.registry.getSingleMetric(name);
      if (!metric) return 0;
      const { values } = await metric.get();
      return values
        .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
        .reduce((sum, v) => sum + v.value, 0);
    },
  };
}

async function ensureNamespace(kc: KubeConfig, name: string): Promise<void> {
  await kc
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name } } })
    .catch((error: unknown) => {
      if (!(error instanceof ApiException && (error.code === 409 || error.code === 403))) throw error;
    });
}
