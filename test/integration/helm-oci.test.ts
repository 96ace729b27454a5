// The chart as users fetch a published one: `helm package`, `helm push` to a real OCI registry
// that demands a login (CNCF distribution, built from the Go module proxy), then `helm install
// oci://…` into the control plane, `helm upgrade` and `helm uninstall`. No node runs the pods, so
// the install is checked by the objects it creates, not by a running operator.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import * as yaml from "js-yaml";
import { chartDir } from "../support/helm.js";
import { testEnvironmentKeys } from "../support/jest/environment.js";
import { adminKubeConfig, createNamespace, statusOf, uniqueName } from "../support/kube.js";
import { recordIssued, recordShown } from "../support/leaks/ledger.js";
import { type Registry, startRegistry } from "../support/registry.js";
import { toolPath } from "../support/tools.js";

const timeout = 180_000;
const login = { username: "chart-publisher", password: `pw-${process.pid}-${Date.now()}` };
const chart = yaml.load(readFileSync(join(chartDir, "Chart.yaml"), "utf8")) as {
  name: string;
  version: string;
};

let dir: string;
let registry: Registry;
let ref: string;
/** The chart as `helm package` wrote it. */
let archive: string;
let namespace: string;
let apps: k8s.AppsV1Api;

/** helm with its config, cache and registry logins under `home` (default: the publisher's). */
function helm(args: string[], options: { input?: string; home?: string } = {}) {
  const home = options.home ?? join(dir, "publisher");
  const result = spawnSync(toolPath("helm"), args, {
    encoding: "utf8",
    input: options.input,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      HELM_CONFIG_HOME: join(home, "config"),
      HELM_CACHE_HOME: join(home, "cache"),
      HELM_DATA_HOME: join(home, "data"),
      KUBECONFIG: process.env[testEnvironmentKeys.kubeconfig],
    },
    timeout: 120_000,
  });
  recordShown("helm-oci-output", `${result.stdout}\n${result.stderr}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function expectOk(result: { status: number | null; output: string }): string {
  if (result.status !== 0) throw new Error(`helm failed (exit ${result.status}):\n${result.output}`);
  return result.output;
}

let pushed: string;

/** The chart packaged, and pushed by a publisher logged in to the registry, as a release does. */
beforeAll(async () => {
  recordIssued("chart registry password", login.password);
  dir = mkdtempSync(join(tmpdir(), "regcred-helm-oci-"));
  registry = await startRegistry(login);
  ref = `oci://${registry.host}/charts`;
  const packaged = expectOk(helm(["package", chartDir, "--destination", join(dir, "packaged")]));
  archive = join(dir, "packaged", `${chart.name}-${chart.version}.tgz`);
  if (!packaged.includes(archive)) throw new Error(`helm package did not write ${archive}:\n${packaged}`);
  const loginArgs = ["registry", "login", registry.host, "--username", login.username, "--password-stdin"];
  expectOk(helm([...loginArgs, "--plain-http"], { input: login.password }));
  pushed = expectOk(helm(["push", archive, ref, "--plain-http"]));
  const kc = adminKubeConfig();
  apps = kc.makeApiClient(k8s.AppsV1Api);
  namespace = await createNamespace(kc.makeApiClient(k8s.CoreV1Api), "helm-oci");
}, timeout);

afterAll(async () => {
  await registry?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the chart published to an OCI registry", () => {
  it("is pushed under its name and version", () => {
    expect(pushed).toContain(`${registry.host}/charts/${chart.name}:${chart.version}`);
  });

  it(
    "is refused to a helm with no login, and pushing without one is refused too",
    () => {
      const stranger = { home: join(dir, "stranger") };
      const pull = helm(
        ["show", "chart", `${ref}/${chart.name}`, "--version", chart.version, "--plain-http"],
        stranger,
      );
      const push = helm(["push", archive, ref, "--plain-http"], stranger);
      for (const refused of [pull, push]) {
        expect(refused.status).not.toBe(0);
        // helm is challenged for basic auth and has no login to answer with.
        expect(refused.output).toMatch(/basic credential not found|unauthorized|401/i);
      }
    },
    timeout,
  );

  it(
    "shows the chart's name and version from the registry to a logged-in helm",
    () => {
      const shown = yaml.load(
        expectOk(helm(["show", "chart", `${ref}/${chart.name}`, "--version", chart.version, "--plain-http"])),
      );
      expect(shown).toMatchObject({ name: chart.name, version: chart.version });
    },
    timeout,
  );

  it(
    "installs from oci://, upgrades with new values, and uninstalls, leaving no Deployment",
    async () => {
      const release = uniqueName("regcred");
      // The published chart, as `helm install|upgrade RELEASE CHART` names it.
      const published = [
        `${ref}/${chart.name}`,
        "--version",
        chart.version,
        "--plain-http",
        "--namespace",
        namespace,
      ];
      const installed = expectOk(helm(["install", release, ...published, "--set", "replicaCount=1"]));
      expect(installed).toContain("STATUS: deployed");
      const name = `${release}-${chart.name}`;
      const deployment = await apps.readNamespacedDeployment({ namespace, name });
      expect(deployment.spec?.replicas).toBe(1);
      expect(deployment.metadata?.labels?.["helm.sh/chart"]).toBe(`${chart.name}-${chart.version}`);

      expectOk(helm(["upgrade", release, ...published, "--reuse-values", "--set", "replicaCount=2"]));
      expect((await apps.readNamespacedDeployment({ namespace, name })).spec?.replicas).toBe(2);
      const history = JSON.parse(
        expectOk(helm(["history", release, "--namespace", namespace, "-o", "json"])),
      );
      expect(history.map((h: { revision: number; status: string }) => [h.revision, h.status])).toEqual([
        [1, "superseded"],
        [2, "deployed"],
      ]);

      expectOk(helm(["uninstall", release, "--namespace", namespace, "--wait"]));
      expect(
        statusOf(await apps.readNamespacedDeployment({ namespace, name }).catch((e: unknown) => e)),
      ).toBe(404);
    },
    timeout,
  );
});
