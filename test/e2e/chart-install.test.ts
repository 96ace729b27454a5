// The install as users do it, on a real node: the operator image built by buildah from the shipped
// Dockerfile, pushed to a registry that demands a login, and `helm install` of the chart with it.
// Two replicas become Ready under Pod Security `restricted`, pulling with the chart's
// imagePullSecrets, and elect a leader through in-cluster config (the kubernetes Service IP); the
// operator pod then reconciles a RegistryCredential against a fake ECR with the chart's own
// ServiceAccount and RBAC, nothing else.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { FakeEcrServer } from "../fakes/ecr/fake-ecr-server.js";
import { ensureControlPlaneBinary } from "../support/controlplane/build.js";
import {
  awsKeysSecret,
  ecrWithStaticKeys,
  fakeAccessKey,
  RegistryCredentials,
  registryCredential,
} from "../support/fixtures.js";
import { chartDir, helm, valuesFile } from "../support/helm.js";
import { buildOperatorImage, pushImage } from "../support/images/build-images.js";
import { testEnvironmentKeys } from "../support/jest/environment.js";
import { adminKubeConfig, createNamespace, uniqueName } from "../support/kube.js";
import { recordIssued } from "../support/leaks/ledger.js";
import { type KubeNode, startNode } from "../support/node/start-node.js";
import { type Registry, startRegistry } from "../support/registry.js";
import { waitFor } from "../support/wait.js";

const timeout = 600_000;
/** The name the chart's image goes by; the node serves it from the loopback registry. */
const imageRegistry = "registry.regcred.test";
const kubeconfig = () => process.env[testEnvironmentKeys.kubeconfig] as string;

let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
let coordination: k8s.CoordinationV1Api;
let node: KubeNode;
let registry: Registry;
let ecr: FakeEcrServer;
let namespace: string;
const release = uniqueName("regcred");

beforeAll(async () => {
  const kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
  coordination = kc.makeApiClient(k8s.CoordinationV1Api);
  const login = { username: "publisher", password: randomBytes(24).toString("base64url") };
  recordIssued("the image registry's password", login.password);
  registry = await startRegistry(login);
  node = await startNode({
    kubeconfigPath: kubeconfig(),
    controlPlaneBinary: await ensureControlPlaneBinary(),
  });
  await node.mirror(imageRegistry, registry.host);
  const report = (line: string) => process.stderr.write(`[images] ${line}\n`);
  pushImage(buildOperatorImage(report), `${registry.host}/regcred/operator:test`, login);

  ecr = await new FakeEcrServer("eu-west-1").start();
  ecr.registerCredentials(fakeAccessKey);
  const ecrFromPods = await node.expose(new URL(ecr.endpoint).host);

  namespace = await createNamespace(core, "chart", { "pod-security.kubernetes.io/enforce": "restricted" });
  const auth = Buffer.from(`${login.username}:${login.password}`).toString("base64");
  await core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: "operator-pull" },
      type: "kubernetes.io/dockerconfigjson",
      stringData: { ".dockerconfigjson": JSON.stringify({ auths: { [imageRegistry]: { auth } } }) },
    },
  });
  const values = {
    image: { repository: `${imageRegistry}/regcred/operator`, tag: "test", pullPolicy: "Always" },
    imagePullSecrets: [{ name: "operator-pull" }],
    replicaCount: 2,
    // The SDK's per-service endpoint variable: the fake ECR, as the pod network reaches it.
    extraEnv: [{ name: "AWS_ENDPOINT_URL_ECR", value: `http://${ecrFromPods}` }],
  };
  const installed = helm([
    "install",
    release,
    chartDir,
    "--kubeconfig",
    kubeconfig(),
    "-n",
    namespace,
    "-f",
    valuesFile(values),
  ]);
  if (installed.status !== 0) throw new Error(`helm install failed:\n${installed.stderr}`);
}, timeout);

afterAll(async () => {
  if (namespace) helm(["uninstall", release, "--kubeconfig", kubeconfig(), "-n", namespace, "--wait"]);
  await node?.stop();
  await registry?.stop();
  await ecr?.close();
});

describe("the chart installed with the operator image built from the Dockerfile", () => {
  it(
    "runs two Ready replicas under restricted Pod Security, one of which holds the leader Lease",
    async () => {
      const name = `${release}-registry-credential-operator`;
      await waitFor(
        `Deployment ${namespace}/${name} to have 2 ready replicas`,
        async () => (await apps.readNamespacedDeployment({ namespace, name })).status?.readyReplicas === 2,
        { timeoutMs: 300_000 },
      );
      const pods = await core.listNamespacedPod({ namespace });
      const podNames = pods.items.map((p) => p.metadata?.name ?? "");
      const leases = await coordination.listNamespacedLease({ namespace });
      // A holder identity starts with its pod's name.
      const held = leases.items.filter((l) =>
        podNames.some((pod) => l.spec?.holderIdentity?.startsWith(pod)),
      );
      expect(held).toHaveLength(1);
    },
    timeout,
  );

  it(
    "reconciles a RegistryCredential with the chart's ServiceAccount and RBAC: the operator pod minted its Secret",
    async () => {
      const tenant = await createNamespace(core, "chart-tenant");
      await core.createNamespacedSecret({ namespace: tenant, body: awsKeysSecret("aws-keys") });
      const credentials = new RegistryCredentials(adminKubeConfig(), tenant);
      await credentials.create(registryCredential("pull", { sources: [ecrWithStaticKeys("aws-keys")] }));
      const ready = await credentials.waitForReady("pull");
      expect(ready.status?.conditions?.find((c) => c.type === "Ready")?.reason).toBe("TokenRefreshed");
      expect(ecr.calls).toBeGreaterThanOrEqual(1);
      const secret = await core.readNamespacedSecret({ namespace: tenant, name: "pull" });
      expect(secret.type).toBe("kubernetes.io/dockerconfigjson");
    },
    timeout,
  );
});
