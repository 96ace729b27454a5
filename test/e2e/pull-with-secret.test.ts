// On a real node (kubelet, containerd, runc): a pod pulls a private image with the Secret the
// operator wrote from a fake ECR token, the same pod without the Secret fails ErrImagePull, and a
// copy of the Secret frozen at its first token fails once that token expired while the operator's
// renewed Secret still pulls. The ECR host name is served by a loopback registry (CNCF
// distribution) behind a gate that admits only unexpired tokens the fake ECR issued.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { run } from "../../src/cli/run.js";
import { FakeEcrServer } from "../fakes/ecr/fake-ecr-server.js";
import { ensureControlPlaneBinary } from "../support/controlplane/build.js";
import {
  awsKeysSecret,
  ecrWithStaticKeys,
  fakeAccessKey,
  RegistryCredentials,
  registryCredential,
} from "../support/fixtures.js";
import { testEnvironmentKeys } from "../support/jest/environment.js";
import { adminKubeConfig, createNamespace } from "../support/kube.js";
import { recordIssued, recordShown } from "../support/leaks/ledger.js";
import { pauseImageSpec } from "../support/node/pause-image.js";
import { type KubeNode, startNode } from "../support/node/start-node.js";
import { type Registry, startRegistry } from "../support/registry.js";
import { type RegistryGate, startRegistryGate } from "../support/registry-gate.js";
import { startTestOperator, type TestOperator } from "../support/test-operator.js";
import { waitFor } from "../support/wait.js";

const timeout = 180_000;
const ecrHost = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";

let core: k8s.CoreV1Api;
let node: KubeNode;
let ecr: FakeEcrServer;
let operator: TestOperator;
let registry: Registry;
let gate: RegistryGate;
/** Token lifetime of the fake ECR: renewed after half of it, so a frozen copy expires mid-test. */
const tokenLifetimeMs = 30_000;
let namespace: string;
let scratch: string;

beforeAll(async () => {
  const kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  node = await startNode({
    kubeconfigPath: process.env[testEnvironmentKeys.kubeconfig] as string,
    controlPlaneBinary: await ensureControlPlaneBinary(),
  });
  namespace = await createNamespace(core, "pull");
  await waitFor(`the default ServiceAccount in ${namespace}`, async () => {
    await core.readNamespacedServiceAccount({ namespace, name: "default" });
    return true;
  });
  ecr = await new FakeEcrServer("eu-west-1").start();
  ecr.registerCredentials(fakeAccessKey);
  ecr.setTokenLifetime(tokenLifetimeMs);
  await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys") });
  operator = await startTestOperator({
    kc,
    aws: { ecrEndpoint: ecr.endpoint },
    config: { watchNamespace: namespace },
  });
  const credentials = new RegistryCredentials(kc, namespace);
  await credentials.create(
    registryCredential("pull", { sources: [ecrWithStaticKeys("aws-keys")], refresh: { minInterval: "10s" } }),
  );
  await credentials.waitForReady("pull");
  scratch = mkdtempSync(join(tmpdir(), "regcred-e2e-pull-"));
  const registryLogin = { username: "gate", password: randomBytes(24).toString("base64url") };
  recordIssued("the gated registry's own password", registryLogin.password);
  registry = await startRegistry(registryLogin, pauseImageSpec(scratch));
  gate = await startRegistryGate(registry.host, registryLogin, (username, password) =>
    ecr.accepts(username, password),
  );
  await node.mirror(ecrHost, gate.host);
}, timeout);

afterAll(async () => {
  await operator?.stop();
  await gate?.stop();
  await registry?.stop();
  await ecr?.close();
  await node?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}, timeout);

/** A pod of the private image, pulled on every start, with the given pull Secrets. */
function pod(name: string, pullSecrets: string[]): k8s.V1Pod {
  return {
    metadata: { name },
    spec: {
      automountServiceAccountToken: false,
      containers: [{ name: "app", image: `${ecrHost}/app:1`, imagePullPolicy: "Always" }],
      imagePullSecrets: pullSecrets.map((secret) => ({ name: secret })),
    },
  };
}

/** Waits until the pod's container runs or is refused its image; returns which, with the reason. */
async function pullOutcome(name: string): Promise<{ state: "running" | "refused"; reason?: string }> {
  let outcome: { state: "running" | "refused"; reason?: string } | undefined;
  await waitFor(
    `pod ${name} to run or fail its pull`,
    async () => {
      const status = (await core.readNamespacedPod({ namespace, name })).status?.containerStatuses?.[0]
        ?.state;
      if (status?.running) outcome = { state: "running" };
      else if (/ErrImagePull|ImagePullBackOff/.test(status?.waiting?.reason ?? ""))
        outcome = { state: "refused", reason: status?.waiting?.reason };
      return outcome !== undefined;
    },
    { timeoutMs: 90_000 },
  );
  return outcome as { state: "running" | "refused"; reason?: string };
}

describe("a pod on a real node pulling a private ECR image", () => {
  it(
    "runs with the Secret the operator wrote",
    async () => {
      await core.createNamespacedPod({ namespace, body: pod("with-secret", ["pull"]) });
      expect(await pullOutcome("with-secret")).toEqual({ state: "running" });
    },
    timeout,
  );

  it(
    "is refused the image without it",
    async () => {
      await core.createNamespacedPod({ namespace, body: pod("without-secret", []) });
      expect(await pullOutcome("without-secret")).toEqual({
        state: "refused",
        reason: expect.stringMatching(/ErrImagePull|ImagePullBackOff/),
      });
    },
    timeout,
  );

  it(
    "is refused with a copy of the Secret frozen at its first token once that token expired, while the operator's renewed Secret pulls",
    async () => {
      const first = (await core.readNamespacedSecret({ namespace, name: "pull" })).data;
      await core.createNamespacedSecret({
        namespace,
        body: { metadata: { name: "frozen" }, type: "kubernetes.io/dockerconfigjson", data: first },
      });
      const firstExpiry = Date.now() + tokenLifetimeMs;
      await waitFor(
        "the first token to expire and the operator to have renewed the Secret",
        async () => {
          const now = (await core.readNamespacedSecret({ namespace, name: "pull" })).data;
          return Date.now() > firstExpiry + 1_000 && JSON.stringify(now) !== JSON.stringify(first);
        },
        { timeoutMs: 3 * tokenLifetimeMs },
      );
      await core.createNamespacedPod({ namespace, body: pod("frozen-secret", ["frozen"]) });
      await core.createNamespacedPod({ namespace, body: pod("renewed-secret", ["pull"]) });
      expect(await pullOutcome("frozen-secret")).toEqual({
        state: "refused",
        reason: expect.stringMatching(/ErrImagePull|ImagePullBackOff/),
      });
      expect(await pullOutcome("renewed-secret")).toEqual({ state: "running" });
      // Pulls went through with at least two distinct tokens: the first and a renewed one.
      expect(gate.admitted.length).toBeGreaterThanOrEqual(2);
    },
    timeout,
  );

  it(
    "regcred audit names the pod stuck in ImagePullBackOff for want of a Secret, with a fix",
    async () => {
      await waitFor("pod without-secret to be in ImagePullBackOff", async () => {
        const state = (await core.readNamespacedPod({ namespace, name: "without-secret" })).status
          ?.containerStatuses?.[0]?.state;
        return state?.waiting?.reason === "ImagePullBackOff";
      });
      let stdout = "";
      const code = await run(["audit", "-n", namespace, "-o", "json"], {
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: () => true },
        kubeConfig: adminKubeConfig(),
      });
      recordShown("e2e-audit-output", stdout);
      expect(code).toBe(1);
      const findings = (JSON.parse(stdout) as { findings: Record<string, string>[] }).findings;
      expect(findings).toContainEqual(
        expect.objectContaining({
          rule: "uncovered-image",
          object: "Pod/without-secret",
          fix: expect.any(String),
        }),
      );
    },
    timeout,
  );
});
