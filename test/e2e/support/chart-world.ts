// The world the chart tests install into: a real node, a registry demanding a login that holds the
// operator images (pulled with the chart's imagePullSecrets) and the private image (served, through
// a gate admitting only the fake ECR's unexpired tokens, under the ECR host), a fake ECR the pod
// network reaches, and a Pod Security `restricted` namespace for the release with its pull Secret
// and the fake ECR's keys.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { FakeEcrServer } from "../../fakes/ecr/fake-ecr-server.js";
import { ensureControlPlaneBinary } from "../../support/controlplane/build.js";
import { awsKeysSecret, fakeAccessKey } from "../../support/fixtures.js";
import { buildOperatorImage, pushImage } from "../../support/images/build-images.js";
import { createNamespace } from "../../support/kube.js";
import { recordIssued } from "../../support/leaks/ledger.js";
import { pauseImageSpec } from "../../support/node/pause-image.js";
import { type KubeNode, startNode } from "../../support/node/start-node.js";
import { type Registry, startRegistry } from "../../support/registry.js";
import { type RegistryGate, startRegistryGate } from "../../support/registry-gate.js";
import { ecrHost } from "./ecr-world.js";

/** The name the chart's images go by; the node serves it from the loopback registry. */
const imageRegistry = "registry.regcred.test";

export interface ChartWorld {
  node: KubeNode;
  ecr: FakeEcrServer;
  gate: RegistryGate;
  /** The release's namespace, holding Secrets operator-pull and aws-keys. */
  namespace: string;
  /** Chart values for operator image `tag`, pulled with operator-pull, reaching the fake ECR. */
  values(tag: string): Record<string, unknown>;
  stop(): Promise<void>;
}

/**
 * Starts the world on the control plane of `kubeconfigPath`, with the operator image built from
 * this checkout pushed as tag "test" and each of `images` (tag → source tree, as releaseSource
 * gives) built and pushed as its tag. On failure stops what it started and throws.
 */
export async function startChartWorld(options: {
  kubeconfigPath: string;
  namespacePrefix: string;
  images?: Record<string, string>;
}): Promise<ChartWorld> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(options.kubeconfigPath);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const scratch = mkdtempSync(join(tmpdir(), "regcred-e2e-chart-"));
  const parts: { node?: KubeNode; registry?: Registry; gate?: RegistryGate; ecr?: FakeEcrServer } = {};
  const stop = async () => {
    await parts.node?.stop();
    await parts.gate?.stop();
    await parts.registry?.stop();
    await parts.ecr?.close();
    rmSync(scratch, { recursive: true, force: true });
  };
  try {
    const login = { username: "publisher", password: randomBytes(24).toString("base64url") };
    recordIssued("the image registry's password", login.password);
    const registry = await startRegistry(login, pauseImageSpec(scratch));
    parts.registry = registry;
    const ecr = await new FakeEcrServer("eu-west-1").start();
    parts.ecr = ecr;
    ecr.registerCredentials(fakeAccessKey);
    parts.gate = await startRegistryGate(registry.host, login, (username, password) =>
      ecr.accepts(username, password),
    );
    const node = await startNode({
      kubeconfigPath: options.kubeconfigPath,
      controlPlaneBinary: await ensureControlPlaneBinary(),
    });
    parts.node = node;
    await node.mirror(imageRegistry, registry.host);
    await node.mirror(ecrHost, parts.gate.host);
    const report = (line: string) => process.stderr.write(`[images] ${line}\n`);
    for (const [tag, source] of Object.entries(options.images ?? {}))
      pushImage(buildOperatorImage(report, source), `${registry.host}/regcred/operator:${tag}`, login);
    pushImage(buildOperatorImage(report), `${registry.host}/regcred/operator:test`, login);
    const ecrFromPods = await node.expose(new URL(ecr.endpoint).host);

    const namespace = await createNamespace(core, options.namespacePrefix, {
      "pod-security.kubernetes.io/enforce": "restricted",
    });
    const auth = Buffer.from(`${login.username}:${login.password}`).toString("base64");
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: "operator-pull" },
        type: "kubernetes.io/dockerconfigjson",
        stringData: { ".dockerconfigjson": JSON.stringify({ auths: { [imageRegistry]: { auth } } }) },
      },
    });
    // The ClusterRegistryCredentials' keys live in the operator's namespace.
    await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys") });
    const values = (tag: string) => ({
      image: { repository: `${imageRegistry}/regcred/operator`, tag, pullPolicy: "Always" },
      imagePullSecrets: [{ name: "operator-pull" }],
      replicaCount: 2,
      webhook: { enabled: true },
      // The operator's pod has no name for the ECR host (the node mirrors it to the gate), so its
      // registry check would look the host up in DNS; test/e2e/verify-and-heal.test.ts checks
      // logins against the gate from an in-process operator instead.
      verification: { enabled: false },
      // The SDK's per-service endpoint variable: the fake ECR, as the pod network reaches it.
      extraEnv: [{ name: "AWS_ENDPOINT_URL_ECR", value: `http://${ecrFromPods}` }],
    });
    return { node, ecr, gate: parts.gate, namespace, values, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
