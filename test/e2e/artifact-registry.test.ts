// Artifact Registry on a real node: the operator turns a service-account key into a Secret of
// oauth2accesstoken logins from the fake Google token endpoint (which verifies the key's signed
// JWT), and pods pull a private europe-west1-docker.pkg.dev image with it, before and after the
// token rotates, from a loopback registry behind a gate that admits only unexpired pull-scoped
// tokens the fake issued (as Artifact Registry checks them).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { pullScope } from "../../src/providers/gar/access-token.js";
import { type FakeGoogleCloud, startFakeGoogleCloud } from "../fakes/google/google-cloud.js";
import { makeServiceAccountKey } from "../fakes/google/service-account-key.js";
import { ensureControlPlaneBinary } from "../support/controlplane/build.js";
import { dockerConfigOf, RegistryCredentials, readSecret, registryCredential } from "../support/fixtures.js";
import { testEnvironmentKeys } from "../support/jest/environment.js";
import { adminKubeConfig, createNamespace } from "../support/kube.js";
import { recordIssued } from "../support/leaks/ledger.js";
import { pauseImageSpec } from "../support/node/pause-image.js";
import { type KubeNode, startNode } from "../support/node/start-node.js";
import { type Registry, startRegistry } from "../support/registry.js";
import { fingerprint, type RegistryGate, startRegistryGate } from "../support/registry-gate.js";
import { startTestOperator, type TestOperator } from "../support/test-operator.js";
import { waitFor } from "../support/wait.js";
import { pullOutcome } from "./support/ecr-world.js";

const timeout = 240_000;
const garHost = "europe-west1-docker.pkg.dev";
const image = `${garHost}/demo-project/images/app:1`;

let core: k8s.CoreV1Api;
let node: KubeNode;
let google: FakeGoogleCloud;
let operator: TestOperator;
let registry: Registry;
let gate: RegistryGate;
let credentials: RegistryCredentials;
let namespace: string;
let scratch: string;

beforeAll(async () => {
  const kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  node = await startNode({
    kubeconfigPath: process.env[testEnvironmentKeys.kubeconfig] as string,
    controlPlaneBinary: await ensureControlPlaneBinary(),
  });
  namespace = await createNamespace(core, "gar");
  // Tokens live 40 s: renewed after about half, so a rotation falls within the test.
  google = await startFakeGoogleCloud({ tokenLifetimeSeconds: 40 });
  const key = makeServiceAccountKey({ tokenUri: google.oauth.tokenUrl });
  google.oauth.registerKey(key.clientEmail, key.publicKey);
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: "gcp-key" }, stringData: { "credentials.json": key.text } },
  });
  operator = await startTestOperator({ kc, google: google.endpoints, config: { watchNamespace: namespace } });
  scratch = mkdtempSync(join(tmpdir(), "regcred-e2e-gar-"));
  const registryLogin = { username: "gate", password: randomBytes(24).toString("base64url") };
  recordIssued("the gated registry's own password", registryLogin.password);
  registry = await startRegistry(registryLogin, pauseImageSpec(scratch), "demo-project/images/app:1");
  gate = await startRegistryGate(registry.host, registryLogin, (username, password) => {
    const token = google.ledger.valid(password);
    return username === "oauth2accesstoken" && !!token?.scopes.includes(pullScope);
  });
  await node.mirror(garHost, gate.host);
  credentials = new RegistryCredentials(kc, namespace);
  await credentials.create(
    registryCredential("pull", {
      sources: [{ gar: { registries: [garHost], auth: { secretRef: { name: "gcp-key" } } } }],
      refresh: { minInterval: "10s" },
    }),
  );
  await credentials.waitForReady("pull");
}, timeout);

afterAll(async () => {
  await operator?.stop();
  await gate?.stop();
  await registry?.stop();
  await google?.close();
  await node?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}, timeout);

function pod(name: string, pullSecret?: string): k8s.V1Pod {
  return {
    metadata: { name },
    spec: {
      automountServiceAccountToken: false,
      ...(pullSecret ? { imagePullSecrets: [{ name: pullSecret }] } : {}),
      containers: [{ name: "app", image, imagePullPolicy: "Always" }],
    },
  };
}

async function tokenInSecret(): Promise<string> {
  const secret = await readSecret(core, namespace, "pull");
  return dockerConfigOf(secret as k8s.V1Secret).auths[garHost]?.password ?? "";
}

describe("Artifact Registry pulls on a real node", () => {
  it(
    "a pod pulls with the operator's Secret and is refused without it",
    async () => {
      await core.createNamespacedPod({ namespace, body: pod("with-secret", "pull") });
      await core.createNamespacedPod({ namespace, body: pod("without-secret") });
      expect(await pullOutcome(core, namespace, "with-secret")).toEqual({ state: "running" });
      expect((await pullOutcome(core, namespace, "without-secret")).state).toBe("refused");
      expect(gate.admitted.length).toBeGreaterThanOrEqual(1);
    },
    timeout,
  );

  it(
    "a pod created after the token rotated pulls with the new token",
    async () => {
      const before = await tokenInSecret();
      await waitFor("the operator to rotate the token", async () => (await tokenInSecret()) !== before, {
        timeoutMs: 60_000,
      });
      const rotated = await tokenInSecret();
      await core.createNamespacedPod({ namespace, body: pod("after-rotation", "pull") });
      expect(await pullOutcome(core, namespace, "after-rotation")).toEqual({ state: "running" });
      // The registry admitted a rotated token (the one in the Secret when the pod was created, or
      // the next one, should the Secret rotate again during the pull), not only the first one.
      const latest = await tokenInSecret();
      expect(gate.admitted.some((f) => f === fingerprint(rotated) || f === fingerprint(latest))).toBe(true);
      expect(gate.refusedLogins()).toBe(0);
    },
    timeout,
  );
});
