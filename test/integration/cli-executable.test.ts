// The regcred single executable as users install it: built by `npm run build:executable`, put in a
// directory beside kubectl and nothing else, and run against the control plane with no node on
// PATH and no node_modules anywhere near it, both as `kubectl regcred` and as `kubectl-regcred`.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { FakeEcrServer } from "../fakes/ecr/fake-ecr-server.js";
import { kubectlPath } from "../support/controlplane/build.js";
import {
  awsKeysSecret,
  ecrWithStaticKeys,
  fakeAccessKey,
  RegistryCredentials,
  registryCredential,
} from "../support/fixtures.js";
import { testEnvironmentKeys } from "../support/jest/environment.js";
import { adminKubeConfig, createNamespace } from "../support/kube.js";
import { recordShown } from "../support/leaks/ledger.js";
import { startTestOperator, type TestOperator } from "../support/test-operator.js";

const timeout = 120_000;
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const ecrHost = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";

let dir: string;
let bin: string;
let namespace: string;
let ecr: FakeEcrServer;
let operator: TestOperator;

/** Runs `command` from bin in an empty directory, with only bin on PATH and the test kubeconfig. */
function runInstalled(command: "kubectl" | "kubectl-regcred", args: string[]) {
  const work = join(dir, "work");
  const result = spawnSync(join(bin, command), args, {
    cwd: work,
    encoding: "utf8",
    env: { PATH: bin, HOME: work, KUBECONFIG: process.env[testEnvironmentKeys.kubeconfig] },
    timeout: 60_000,
  });
  recordShown("cli-executable-output", `${result.stdout}\n${result.stderr}`);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "regcred-executable-"));
  bin = join(dir, "bin");
  mkdirSync(join(dir, "work"), { recursive: true });
  const tsx = createRequire(import.meta.url).resolve("tsx/cli");
  const built = spawnSync(
    process.execPath,
    [tsx, "scripts/build-executable.ts", "--out", join(bin, "kubectl-regcred")],
    { cwd: repoRoot, encoding: "utf8" },
  );
  if (built.status !== 0) throw new Error(`npm run build:executable failed:\n${built.stdout}${built.stderr}`);
  symlinkSync(await kubectlPath(), join(bin, "kubectl"));

  const kc = adminKubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  namespace = await createNamespace(core, "cli-executable");
  ecr = await new FakeEcrServer("eu-west-1").start();
  ecr.registerCredentials(fakeAccessKey);
  await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys") });
  operator = await startTestOperator({
    kc,
    aws: { ecrEndpoint: ecr.endpoint },
    config: { watchNamespace: namespace },
  });
  const credentials = new RegistryCredentials(kc, namespace);
  await credentials.create(registryCredential("pull", { sources: [ecrWithStaticKeys("aws-keys")] }));
  await credentials.waitForReady("pull");
  // A pod whose ECR image no pull Secret covers: one audit finding.
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: "uncovered" },
      spec: { automountServiceAccountToken: false, containers: [{ name: "app", image: `${ecrHost}/app:1` }] },
    },
  });
}, 300_000);

afterAll(async () => {
  await operator?.stop();
  await ecr?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the regcred single executable, installed beside kubectl with no Node", () => {
  it(
    "ignores a NODE_OPTIONS that would break a Node, and answers --help itself",
    () => {
      const work = join(dir, "work");
      const result = spawnSync(join(bin, "kubectl-regcred"), ["--help"], {
        cwd: work,
        encoding: "utf8",
        env: { PATH: bin, HOME: work, NODE_OPTIONS: "--require=/nonexistent/preload.js" },
      });
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^regcred — inspect registry-credential-operator resources/);
    },
    timeout,
  );

  it.each([
    { command: "kubectl" as const, prefix: ["regcred"] },
    { command: "kubectl-regcred" as const, prefix: [] },
  ])(
    "$command $prefix status -o json lists the Ready credential",
    ({ command, prefix }) => {
      const { code, stdout, stderr } = runInstalled(command, [
        ...prefix,
        "status",
        "-o",
        "json",
        "-n",
        namespace,
      ]);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      // ClusterRegistryCredentials of test files running beside this one are listed too.
      const rows = (JSON.parse(stdout) as { items: Record<string, unknown>[] }).items.filter(
        (row) => row.kind === "RegistryCredential",
      );
      expect(rows).toEqual([
        expect.objectContaining({
          kind: "RegistryCredential",
          name: "pull",
          ready: "True",
          hosts: [ecrHost],
        }),
      ]);
    },
    timeout,
  );

  it(
    "audit reports the pod no pull Secret covers and exits 1",
    () => {
      const { code, stdout } = runInstalled("kubectl-regcred", ["audit", "-n", namespace, "-o", "json"]);
      expect(code).toBe(1);
      const findings = (JSON.parse(stdout) as { findings: Record<string, string>[] }).findings;
      expect(findings).toEqual([
        expect.objectContaining({ rule: "uncovered-image", object: "Pod/uncovered" }),
      ]);
    },
    timeout,
  );

  it(
    "render reads a manifest from the working directory and masks the token",
    () => {
      writeFileSync(
        join(dir, "work", "rc.yaml"),
        "apiVersion: regcred.dev/v1alpha1\nkind: RegistryCredential\nmetadata: { name: one, namespace: team }\nspec:\n  sources:\n    - ecr: { region: eu-west-1, registryIds: ['111122223333'] }\n",
      );
      const { code, stdout } = runInstalled("kubectl-regcred", ["render", "rc.yaml"]);
      expect(code).toBe(0);
      expect(stdout).toContain("111122223333.dkr.ecr.eu-west-1.amazonaws.com");
      expect(stdout).toContain('"password": "****"');
    },
    timeout,
  );
});
