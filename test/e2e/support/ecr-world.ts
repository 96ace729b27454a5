// The world most e2e tests pull in: a real node, a fake ECR whose tokens live `tokenLifetimeMs`, a
// loopback registry holding a runnable private image behind a gate that admits only unexpired
// tokens of that fake ECR, the node mirroring the ECR host to the gate, and a cluster-wide test
// operator with the fake ECR's keys in its namespace.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { deleteMutatingWebhookConfiguration } from "../../../src/webhook/webhook-configuration.js";
import { FakeEcrServer } from "../../fakes/ecr/fake-ecr-server.js";
import { ensureControlPlaneBinary } from "../../support/controlplane/build.js";
import { freePort } from "../../support/controlplane/ports.js";
import { awsKeysSecret } from "../../support/fixtures.js";
import { testEnvironmentKeys } from "../../support/jest/environment.js";
import { adminKubeConfig, uniqueName } from "../../support/kube.js";
import { recordIssued } from "../../support/leaks/ledger.js";
import { pauseImageSpec } from "../../support/node/pause-image.js";
import { type KubeNode, startNode } from "../../support/node/start-node.js";
import { type Registry, startRegistry } from "../../support/registry.js";
import { type RegistryGate, startRegistryGate } from "../../support/registry-gate.js";
import { startTestOperator, type TestOperator } from "../../support/test-operator.js";
import { waitFor } from "../../support/wait.js";

export const ecrHost = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
/** The private image: a container that starts and sleeps. */
export const privateImage = `${ecrHost}/app:1`;
const operatorNamespace = "regcred-system";

export interface EcrWorld {
  kc: k8s.KubeConfig;
  node: KubeNode;
  ecr: FakeEcrServer;
  gate: RegistryGate;
  operator: TestOperator;
  /** The Secret in the operator's namespace holding the fake ECR's keys. */
  keysSecret: string;
  stop(): Promise<void>;
}

/** Starts the world; on failure stops what it started and throws. */
export async function startEcrWorld(options: { tokenLifetimeMs: number }): Promise<EcrWorld> {
  const kc = adminKubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const keys = {
    accessKeyId: `AKIAFAKE${randomBytes(6).toString("hex").toUpperCase()}`,
    secretAccessKey: `fake-secret-${randomBytes(12).toString("hex")}`,
  };
  const keysSecret = uniqueName("ecr-keys");
  const scratch = mkdtempSync(join(tmpdir(), "regcred-e2e-world-"));
  const parts: {
    node?: KubeNode;
    ecr?: FakeEcrServer;
    registry?: Registry;
    gate?: RegistryGate;
    operator?: TestOperator;
  } = {};
  const webhookConfiguration = uniqueName("regcred-e2e-webhook");
  const stop = async () => {
    await parts.operator?.stop();
    // Cluster-wide: leave none behind for the next file.
    await deleteMutatingWebhookConfiguration(
      kc.makeApiClient(k8s.AdmissionregistrationV1Api),
      webhookConfiguration,
    );
    await parts.gate?.stop();
    await parts.registry?.stop();
    await parts.ecr?.close();
    await parts.node?.stop();
    await core.deleteNamespacedSecret({ namespace: operatorNamespace, name: keysSecret }).catch(() => {});
    rmSync(scratch, { recursive: true, force: true });
  };
  try {
    parts.node = await startNode({
      kubeconfigPath: process.env[testEnvironmentKeys.kubeconfig] as string,
      controlPlaneBinary: await ensureControlPlaneBinary(),
    });
    const ecr = await new FakeEcrServer("eu-west-1").start();
    parts.ecr = ecr;
    ecr.registerCredentials(keys);
    ecr.setTokenLifetime(options.tokenLifetimeMs);
    const registryLogin = { username: "gate", password: randomBytes(24).toString("base64url") };
    recordIssued("the gated registry's own password", registryLogin.password);
    parts.registry = await startRegistry(registryLogin, pauseImageSpec(scratch));
    parts.gate = await startRegistryGate(parts.registry.host, registryLogin, (username, password) =>
      ecr.accepts(username, password),
    );
    await parts.node.mirror(ecrHost, parts.gate.host);
    await core.createNamespace({ body: { metadata: { name: operatorNamespace } } }).catch(() => {});
    await core.createNamespacedSecret({
      namespace: operatorNamespace,
      body: awsKeysSecret(keysSecret, keys),
    });
    // The webhook, for podAdmission mechanism Webhook: the apiserver calls it on loopback.
    const webhookPort = await freePort();
    parts.operator = await startTestOperator({
      kc,
      aws: { ecrEndpoint: ecr.endpoint },
      config: {
        operatorNamespace,
        webhook: {
          host: "127.0.0.1",
          port: webhookPort,
          url: `https://127.0.0.1:${webhookPort}/mutate-pods`,
          configurationName: webhookConfiguration,
        },
      },
    });
    return { kc, node: parts.node, ecr, gate: parts.gate, operator: parts.operator, keysSecret, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** How a pod's pull ended; a refusal carries the kubelet's reason and message (why, when a test fails). */
export interface PullOutcome {
  state: "running" | "refused";
  reason?: string;
  message?: string;
}

/**
 * Waits until the pod's container runs or is refused its image, and returns which, with the
 * reason and message. With `until: "running"`, refusals are waited out (the kubelet retries) and only running
 * ends the wait.
 */
export async function pullOutcome(
  core: k8s.CoreV1Api,
  namespace: string,
  name: string,
  until?: "running",
): Promise<PullOutcome> {
  let outcome: PullOutcome | undefined;
  await waitFor(
    `pod ${namespace}/${name} to run or fail its pull`,
    async () => {
      const state = (await core.readNamespacedPod({ namespace, name })).status?.containerStatuses?.[0]?.state;
      if (state?.running) outcome = { state: "running" };
      else if (until !== "running" && /ErrImagePull|ImagePullBackOff/.test(state?.waiting?.reason ?? ""))
        outcome = { state: "refused", reason: state?.waiting?.reason, message: state?.waiting?.message };
      return outcome !== undefined;
    },
    { timeoutMs: until === "running" ? 180_000 : 90_000 },
  );
  return outcome as PullOutcome;
}
