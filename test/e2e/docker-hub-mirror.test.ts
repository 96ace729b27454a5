// A mirror alias on a real node: containerd mirrors docker.io to an ECR pull-through cache (a
// loopback registry behind a gate that admits only unexpired tokens of the fake ECR), keeping
// registry-1.docker.io as the server it falls back to, as such mirrors are configured. The
// kubelet looks credentials up by the image's host, docker.io, so only a Secret that also writes
// the ECR login under the alias docker.io lets the pod pull; the same login under the ECR host
// alone does not.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import type { CredentialSource } from "../../src/api/v1alpha1.js";
import { FakeEcrServer } from "../fakes/ecr/fake-ecr-server.js";
import { ensureControlPlaneBinary } from "../support/controlplane/build.js";
import {
  awsKeysSecret,
  dockerConfigOf,
  RegistryCredentials,
  readSecret,
  registryCredential,
} from "../support/fixtures.js";
import { testEnvironmentKeys } from "../support/jest/environment.js";
import { adminKubeConfig, createNamespace } from "../support/kube.js";
import { recordIssued } from "../support/leaks/ledger.js";
import { pauseImageSpec } from "../support/node/pause-image.js";
import { type KubeNode, startNode } from "../support/node/start-node.js";
import { type Registry, startRegistry } from "../support/registry.js";
import { type RegistryGate, startRegistryGate } from "../support/registry-gate.js";
import { startTestOperator, type TestOperator } from "../support/test-operator.js";
import { ecrHost, pullOutcome } from "./support/ecr-world.js";

const timeout = 240_000;
const image = "docker.io/library/app:1";

let core: k8s.CoreV1Api;
let node: KubeNode;
let ecr: FakeEcrServer;
let registry: Registry;
let gate: RegistryGate;
let operator: TestOperator;
let namespace: string;
let scratch: string;

beforeAll(async () => {
  const kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  node = await startNode({
    kubeconfigPath: process.env[testEnvironmentKeys.kubeconfig] as string,
    controlPlaneBinary: await ensureControlPlaneBinary(),
  });
  namespace = await createNamespace(core, "mirror");
  scratch = mkdtempSync(join(tmpdir(), "regcred-e2e-mirror-"));
  const keys = {
    accessKeyId: `AKIAFAKE${randomBytes(6).toString("hex").toUpperCase()}`,
    secretAccessKey: `fake-secret-${randomBytes(12).toString("hex")}`,
  };
  ecr = await new FakeEcrServer("eu-west-1").start();
  ecr.registerCredentials(keys);
  const registryLogin = { username: "gate", password: randomBytes(24).toString("base64url") };
  recordIssued("the gated registry's own password", registryLogin.password);
  registry = await startRegistry(registryLogin, pauseImageSpec(scratch), "library/app:1");
  gate = await startRegistryGate(registry.host, registryLogin, (username, password) =>
    ecr.accepts(username, password),
  );
  await node.mirror("docker.io", gate.host, { upstream: "https://registry-1.docker.io" });
  await core.createNamespacedSecret({ namespace, body: awsKeysSecret("ecr-keys", keys) });
  operator = await startTestOperator({
    kc,
    aws: { ecrEndpoint: ecr.endpoint },
    config: { watchNamespace: namespace },
  });
  const credentials = new RegistryCredentials(kc, namespace);
  const cache: CredentialSource = { ecr: { region: "eu-west-1", auth: { secretRef: { name: "ecr-keys" } } } };
  await credentials.create(
    registryCredential("aliased", {
      sources: [
        { ...cache, aliases: ["docker.io"], aliasesAcknowledgement: "SendsTokenUpstreamWhenMirrorFails" },
      ],
    }),
  );
  await credentials.create(registryCredential("ecr-only", { sources: [cache] }));
  await credentials.waitForReady("aliased");
  await credentials.waitForReady("ecr-only");
}, timeout);

afterAll(async () => {
  await operator?.stop();
  await gate?.stop();
  await registry?.stop();
  await ecr?.close();
  await node?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}, timeout);

function pod(name: string, pullSecret: string): k8s.V1Pod {
  return {
    metadata: { name },
    spec: {
      automountServiceAccountToken: false,
      imagePullSecrets: [{ name: pullSecret }],
      containers: [{ name: "app", image, imagePullPolicy: "Always" }],
    },
  };
}

describe("a docker.io mirror on a real node", () => {
  it(
    "pulls with the login written under the alias docker.io, and not with the ECR host alone",
    async () => {
      const aliased = dockerConfigOf((await readSecret(core, namespace, "aliased")) as k8s.V1Secret).auths;
      expect(Object.keys(aliased).sort()).toEqual([ecrHost, "docker.io"]);
      expect(aliased["docker.io"]).toEqual(aliased[ecrHost]);
      await core.createNamespacedPod({ namespace, body: pod("aliased", "aliased") });
      await core.createNamespacedPod({ namespace, body: pod("ecr-only", "ecr-only") });
      expect(await pullOutcome(core, namespace, "aliased")).toEqual({ state: "running" });
      expect((await pullOutcome(core, namespace, "ecr-only")).state).toBe("refused");
      expect(gate.admitted.length).toBeGreaterThanOrEqual(1);
    },
    timeout,
  );
});
