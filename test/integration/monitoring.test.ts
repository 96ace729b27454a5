// The chart's alerts and Grafana dashboard against the operator's real metrics: promtool unit tests
// on series labelled as a real scrape of the operator is, and a real Prometheus scraping the running
// operator, in which every dashboard query and alert expression has data. Every series comes from
// what the operator did: ECR credentials healthy, expired and failing against a fake ECR, one whose
// login a real registry refuses (Verified=False), and pods the registry refuses with it, written
// as the kubelet writes pod status (a fresh mint, then PermissionDenied).
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { FakeEcrServer } from "../fakes/ecr/fake-ecr-server.js";
import {
  awsKeysSecret,
  ecrWithStaticKeys,
  RegistryCredentials,
  registryCredential,
} from "../support/fixtures.js";
import { adminKubeConfig, createNamespace } from "../support/kube.js";
import { reportPull } from "../support/kubelet-status.js";
import { recordIssued, recordShown } from "../support/leaks/ledger.js";
import {
  alertScenarios,
  type CredentialRole,
  type PullFailureAction,
  promtoolTestFile,
  type ScrapedSeries,
} from "../support/monitoring/alert-scenarios.js";
import {
  type ChartMonitoring,
  dashboardQueries,
  defaultAlertSettings,
  renderMonitoring,
  storedLabels,
} from "../support/monitoring/chart-monitoring.js";
import { type Labels, parseExposition, type Sample } from "../support/monitoring/exposition.js";
import { type PrometheusServer, startPrometheus } from "../support/monitoring/prometheus-server.js";
import { promtool, writeYaml } from "../support/monitoring/promtool.js";
import { type Registry, startRegistry } from "../support/registry.js";
import { startTestOperator, type TestOperator } from "../support/test-operator.js";
import { waitFor } from "../support/wait.js";

const timeout = 180_000;
const operatorNamespace = "regcred-system";
/** One identity per credential, so that each mints its own token. */
const keys: Record<CredentialRole, { accessKeyId: string; secretAccessKey: string }> = {
  healthy: { accessKeyId: "AKIAFAKEMONITOR00001", secretAccessKey: "fake-secret-monitoring-0001/abcdefghij" },
  expired: { accessKeyId: "AKIAFAKEMONITOR00002", secretAccessKey: "fake-secret-monitoring-0002/abcdefghij" },
  failing: { accessKeyId: "AKIAFAKEMONITOR00003", secretAccessKey: "fake-secret-monitoring-0003/abcdefghij" },
};
const roles = Object.keys(keys) as CredentialRole[];
/** The labels of a credential whose Verified condition is False (see beforeAll). */
const unverified = () => ({ kind: "RegistryCredential", namespace, name: "unverified" });

let ecr: FakeEcrServer;
let registry: Registry;
let operator: TestOperator | undefined;
let prometheus: PrometheusServer | undefined;
let chart: ChartMonitoring;
let rulesFile: string;
let namespace: string;

beforeAll(async () => {
  const kc = adminKubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  chart = renderMonitoring("rco", operatorNamespace);
  rulesFile = writeYaml("rules.yaml", { groups: chart.groups });
  ecr = await new FakeEcrServer("eu-west-1").start();
  for (const key of Object.values(keys)) ecr.registerCredentials(key);
  namespace = await createNamespace(core, "monitoring");
  const login = { username: "puller", password: randomBytes(18).toString("base64url") };
  recordIssued("the monitoring registry's password", login.password);
  registry = await startRegistry(login);
  // Scoped to its namespace, so it neither mints for other test files' credentials nor they for its.
  operator = await startTestOperator({
    kc,
    aws: { ecrEndpoint: ecr.endpoint },
    config: {
      watchNamespace: namespace,
      watchPullFailures: true,
      verification: {
        allowedNetworks: ["127.0.0.0/8"],
        insecureRegistries: [registry.host],
        refusedRemintMs: 300_000,
      },
      pullFailureRemintMs: 60 * 60_000,
    },
  });
  const credentials = new RegistryCredentials(kc, namespace);
  // The fake ECR's hosts are no registries: its credentials are not checked.
  const create = async (role: CredentialRole, spec: object = {}) => {
    await core.createNamespacedSecret({ namespace, body: awsKeysSecret(`keys-${role}`, keys[role]) });
    await credentials.create(
      registryCredential(role, {
        sources: [ecrWithStaticKeys(`keys-${role}`)],
        verify: { mode: "Disabled" },
        ...spec,
      }),
    );
  };
  // healthy: a 12-hour token, not renewed during the test.
  await create("healthy");
  await credentials.waitForReady("healthy");
  // expired: a 20-second token due for renewal after 10 s, when ECR has started failing.
  ecr.setTokenLifetime(20_000);
  await create("expired", { refresh: { minInterval: "10s" } });
  await credentials.waitForReady("expired");
  ecr.behave("server-error");
  // failing: never gets a token.
  await create("failing");
  await credentials.waitForReady("failing", (ready) => ready.status === "False");
  await waitFor(
    "the expired credential to be reported expired",
    async () => (await operator?.metric("regcred_credential_expired", { namespace, name: "expired" })) === 1,
    { timeoutMs: 60_000 },
  );
  // unverified: a static login the registry refuses.
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: "wrong-login" }, stringData: { username: login.username, password: "not-it" } },
  });
  await credentials.create(
    registryCredential("unverified", {
      sources: [{ basic: { registries: [registry.host], secretRef: { name: "wrong-login" } } }],
    }),
  );
  await waitFor(
    "the unverified credential's gauge",
    async () =>
      (await operator?.metric("regcred_credential_verified", unverified())) === 0 &&
      (await operator?.metric("regcred_verification_total", { result: "Unauthorized" })) === 1,
    { timeoutMs: 60_000 },
  );

  prometheus = await startPrometheus(
    [
      {
        job: chart.targetLabels.job as string,
        target: metricsAddress(),
        labels: Object.fromEntries(Object.entries(chart.targetLabels).filter(([k]) => k !== "job")),
        honorLabels: chart.honorLabels,
      },
    ],
    [rulesFile],
  );
  // Pods refused with that login, as the kubelet reports them: the first asks for a fresh login
  // (Reminted), the second waits for it; their next attempts, after it, are PermissionDenied.
  // increase() needs the counter to grow while Prometheus scrapes it, so the second comes later.
  const server = prometheus;
  const image = `${registry.host}/app:1`;
  const refuse = (pod: string, reason: "ErrImagePull" | "ImagePullBackOff") =>
    reportPull(core, namespace, pod, image, {
      waiting: reason,
      message: `failed to pull and unpack image "${image}": failed to resolve reference "${image}": unexpected status from HEAD request to http://${registry.host}/v2/app/manifests/1: 401 Unauthorized`,
    });
  const pulls = async (action: PullFailureAction) =>
    (await operator?.metric("regcred_pull_failures_total", { cause: "CredentialsRefused", action })) ?? 0;
  for (const pod of ["refused-1", "refused-2"])
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: pod },
        spec: { containers: [{ name: "app", image }], imagePullSecrets: [{ name: "unverified" }] },
      },
    });
  await refuse("refused-1", "ErrImagePull");
  await refuse("refused-2", "ImagePullBackOff");
  await waitFor("both pods waiting for the fresh login", async () => (await pulls("Reminted")) === 2);
  // Past the grace in which the kubelet may still have tried with the old login.
  await new Promise((resolve) => setTimeout(resolve, 16_000));
  // The kubelet's next round: back-off, then a fresh attempt, refused again.
  await refuse("refused-1", "ImagePullBackOff");
  await refuse("refused-1", "ErrImagePull");
  await waitFor("the first permission problem", async () => (await pulls("PermissionDenied")) === 1);
  await untilData(
    server,
    "the pull-failure counters",
    'regcred_pull_failures_total{action="PermissionDenied"}',
  );
  await refuse("refused-2", "ErrImagePull");
  await waitFor("the second permission problem", async () => (await pulls("PermissionDenied")) === 2);
}, timeout);

afterAll(async () => {
  await prometheus?.stop();
  await operator?.stop();
  await ecr?.close();
  await registry?.stop();
});

function metricsAddress(): string {
  if (!operator) throw new Error("no operator");
  return `${operator.address.host}:${operator.address.port}`;
}

/** The operator's /metrics, read over HTTP as Prometheus reads it. */
async function scrape(): Promise<Sample[]> {
  const response = await fetch(`http://${metricsAddress()}/metrics`);
  const text = await response.text();
  recordShown("operator-metrics", text);
  return parseExposition(text);
}

/** The stored labels of the one sample of `name` whose labels include `match`. */
function only(samples: Sample[], name: string, match: Labels): Labels {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length !== 1)
    throw new Error(
      `expected one ${name} sample with ${JSON.stringify(match)} in the scrape, found ${found.length}`,
    );
  const target = { ...chart.targetLabels, instance: metricsAddress() };
  return storedLabels((found[0] as Sample).labels, target, chart.honorLabels);
}

function scrapedSeries(samples: Sample[]): ScrapedSeries {
  return {
    credential: (metric, role) => only(samples, metric, { namespace, name: role }),
    providerCalls: (outcome) => only(samples, "regcred_provider_calls_total", { provider: "ecr", outcome }),
    up: { ...chart.targetLabels, instance: metricsAddress() },
    unverified: only(samples, "regcred_credential_verified", unverified()),
    pullFailures: (action) =>
      only(samples, "regcred_pull_failures_total", { cause: "CredentialsRefused", action }),
  };
}

/** Waits until `expr` returns at least one series in Prometheus. */
async function untilData(server: PrometheusServer, what: string, expr: string): Promise<void> {
  await waitFor(`${what} to have data: ${expr}`, async () => (await server.query(expr)).length > 0, {
    timeoutMs: 60_000,
  });
}

describe("the chart's alert rules under promtool", () => {
  it("pass promtool check rules", () => {
    const run = promtool(["check", "rules", rulesFile]);
    expect(run).toEqual({ status: 0, output: expect.stringContaining("SUCCESS") });
  });

  it(
    "fire and stay quiet as each alert's scenarios say, on series labelled as the real scrape is",
    async () => {
      const samples = await scrape();
      const scenarios = alertScenarios(scrapedSeries(samples), defaultAlertSettings());
      // A new alert without scenarios fails here.
      for (const { alert } of chart.alerts) {
        expect({ alert, fires: scenarios.some((s) => s.alert === alert && s.expected.length > 0) }).toEqual({
          alert,
          fires: true,
        });
        expect({ alert, quiet: scenarios.some((s) => s.alert === alert && s.expected.length === 0) }).toEqual(
          { alert, quiet: true },
        );
      }
      const labelsOf = (alert: string) => chart.alerts.find((a) => a.alert === alert)?.labels ?? {};
      const testFile = writeYaml("rules.test.yaml", promtoolTestFile(rulesFile, scenarios, labelsOf));
      const run = promtool(["test", "rules", testFile]);
      expect(run).toEqual({ status: 0, output: expect.stringContaining("SUCCESS") });
    },
    timeout,
  );
});

describe("a real Prometheus scraping the operator", () => {
  it(
    "stores the operator's series with the labels the promtool tests give them",
    async () => {
      if (!prometheus) throw new Error("no Prometheus");
      const server = prometheus;
      const samples = await scrape();
      const series = scrapedSeries(samples);
      for (const metric of [
        "regcred_credential_expiry_timestamp_seconds",
        "regcred_credential_ready",
        "regcred_credential_expired",
      ] as const)
        for (const role of roles) {
          if (metric === "regcred_credential_expiry_timestamp_seconds" && role === "failing") continue;
          const expected = series.credential(metric, role);
          // Alerts name the credential's namespace, not the operator's (the ServiceMonitor's honorLabels).
          expect(expected.namespace).toBe(namespace);
          let stored: Labels[] = [];
          await waitFor(`Prometheus to hold ${metric} of ${role}`, async () => {
            stored = (await server.query(`${metric}{namespace="${namespace}", name="${role}"}`)).map(
              (r) => r.metric,
            );
            return stored.length > 0;
          });
          expect(stored).toEqual([{ __name__: metric, ...expected }]);
        }
    },
    timeout,
  );

  it(
    "has data for every dashboard query",
    async () => {
      if (!prometheus) throw new Error("no Prometheus");
      const server = prometheus;
      const queries = dashboardQueries(chart.dashboard, { job: chart.targetLabels.job as string }, "1m");
      expect(queries.length).toBeGreaterThan(0);
      for (const { panel, expr } of queries) await untilData(server, `dashboard panel "${panel}"`, expr);
    },
    timeout,
  );

  it(
    "has data for every alert expression, and for RegistryCredentialOperatorDown once the operator stopped",
    async () => {
      if (!prometheus) throw new Error("no Prometheus");
      const server = prometheus;
      const operatorDown = "RegistryCredentialOperatorDown";
      for (const { alert, expr } of chart.alerts.filter((a) => a.alert !== operatorDown))
        await untilData(server, `the expression of ${alert}`, expr);
      const down = chart.alerts.find((a) => a.alert === operatorDown);
      if (!down) throw new Error(`no ${operatorDown} alert`);
      expect(await server.query(down.expr)).toEqual([]);
      await operator?.stop();
      operator = undefined;
      await untilData(server, `the expression of ${operatorDown}`, down.expr);
    },
    timeout,
  );
});
