// The install as users do it, on a real node: the operator image built by buildah from the shipped
// Dockerfile, pushed to a registry that demands a login, and `helm install` of the chart with it
// and its webhook. Two replicas become Ready under Pod Security `restricted`, pulling with the
// chart's imagePullSecrets, elect a leader through in-cluster config (the kubernetes Service IP)
// and serve metrics; with the chart's own ServiceAccount and RBAC, nothing else, the operator pods
// reconcile a RegistryCredential and a ClusterRegistryCredential against a fake ECR, the apiserver
// calls their webhook through its Service, and pods pull the private image behind a gate that
// admits only the fake ECR's unexpired tokens. Pods keep pulling while operator pods restart.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import type { FakeEcrServer } from "../fakes/ecr/fake-ecr-server.js";
import {
  awsKeysSecret,
  ClusterRegistryCredentials,
  clusterRegistryCredential,
  dockerConfigOf,
  ecrWithStaticKeys,
  RegistryCredentials,
  registryCredential,
} from "../support/fixtures.js";
import { chartDir, helm, valuesFile } from "../support/helm.js";
import { testEnvironmentKeys } from "../support/jest/environment.js";
import { adminKubeConfig, createNamespace, uniqueName } from "../support/kube.js";
import type { RegistryGate } from "../support/registry-gate.js";
import { waitFor } from "../support/wait.js";
import { type ChartWorld, startChartWorld } from "./support/chart-world.js";
import { deployment, pullFailures, setReplicas, waitForReplicas } from "./support/deployments.js";
import { ecrHost, privateImage, pullOutcome } from "./support/ecr-world.js";
import { waitForPodAdmission } from "./support/pod-admission.js";

const timeout = 600_000;
const kubeconfig = () => process.env[testEnvironmentKeys.kubeconfig] as string;

let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
let coordination: k8s.CoordinationV1Api;
let world: ChartWorld | undefined;
let gate: RegistryGate;
let ecr: FakeEcrServer;
let namespace: string;
const release = uniqueName("regcred");
const operatorDeployment = `${release}-registry-credential-operator`;

beforeAll(async () => {
  kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
  coordination = kc.makeApiClient(k8s.CoordinationV1Api);
  world = await startChartWorld({ kubeconfigPath: kubeconfig(), namespacePrefix: "chart" });
  ({ gate, ecr, namespace } = world);
  // Tokens live a minute, so that a token outlives no operator restart.
  ecr.setTokenLifetime(60_000);
  const installed = helm([
    "install",
    release,
    chartDir,
    "--kubeconfig",
    kubeconfig(),
    "-n",
    namespace,
    "-f",
    valuesFile(world.values("test")),
  ]);
  if (installed.status !== 0) throw new Error(`helm install failed:\n${installed.stderr}`);
  await waitForOperatorReady();
}, timeout);

afterAll(async () => {
  if (namespace) helm(["uninstall", release, "--kubeconfig", kubeconfig(), "-n", namespace, "--wait"]);
  await world?.stop();
}, timeout);

async function waitForOperatorReady(): Promise<void> {
  await waitFor(
    `Deployment ${namespace}/${operatorDeployment} to have 2 ready replicas`,
    async () => {
      const status = (await apps.readNamespacedDeployment({ namespace, name: operatorDeployment })).status;
      return status?.readyReplicas === 2 && status.updatedReplicas === 2 && status.replicas === 2;
    },
    { timeoutMs: 300_000 },
  );
}

async function operatorPods(): Promise<k8s.V1Pod[]> {
  const pods = await core.listNamespacedPod({
    namespace,
    labelSelector: "app.kubernetes.io/name=registry-credential-operator",
  });
  return pods.items.filter((p) => !p.metadata?.deletionTimestamp);
}

/** The operator pod holding the leader Lease, and the other one. */
async function leaderAndFollower(): Promise<{ leader: k8s.V1Pod; follower: k8s.V1Pod }> {
  const pods = await operatorPods();
  const leases = await coordination.listNamespacedLease({ namespace });
  // A holder identity starts with its pod's name.
  const leader = pods.find((p) =>
    leases.items.some((l) => l.spec?.holderIdentity?.startsWith(p.metadata?.name ?? "-")),
  );
  const follower = pods.find((p) => p !== leader);
  if (!leader || !follower) throw new Error(`no leader and follower among ${pods.length} operator pods`);
  return { leader, follower };
}

/** The holder identity of the operator's leader Lease, if one is held. */
async function leaseHolder(): Promise<string | undefined> {
  const leases = await coordination.listNamespacedLease({ namespace });
  return leases.items.map((l) => l.spec?.holderIdentity).find((h) => !!h);
}

/** The password of the ECR login in `ns`'s registry-pull Secret. */
async function tokenIn(ns: string): Promise<string> {
  const secret = await core.readNamespacedSecret({ namespace: ns, name: "registry-pull" });
  return dockerConfigOf(secret).auths[ecrHost]?.password ?? "";
}

/** A pod of the private image with no pull Secret of its own. */
function privatePod(name: string): k8s.V1Pod {
  return {
    metadata: { name },
    spec: {
      automountServiceAccountToken: false,
      containers: [{ name: "app", image: privateImage, imagePullPolicy: "Always" }],
    },
  };
}

describe("the chart installed with the operator image built from the Dockerfile", () => {
  it(
    "runs two Ready replicas under restricted Pod Security, one of which holds the leader Lease",
    async () => {
      const pods = await operatorPods();
      expect(pods).toHaveLength(2);
      const leases = await coordination.listNamespacedLease({ namespace });
      const held = leases.items.filter((l) =>
        pods.some((pod) => l.spec?.holderIdentity?.startsWith(pod.metadata?.name ?? "-")),
      );
      expect(held).toHaveLength(1);
    },
    timeout,
  );

  it(
    "serves Prometheus metrics on each replica's metrics port",
    async () => {
      for (const pod of await operatorPods()) {
        const response = await fetch(`http://${pod.status?.podIP}:8080/metrics`);
        expect(response.status).toBe(200);
        expect(await response.text()).toMatch(/^# TYPE regcred_refresh_total counter$/m);
      }
    },
    timeout,
  );

  it(
    "reconciles a RegistryCredential with the chart's ServiceAccount and RBAC, and its webhook, called through the Service, gives a new pod the Secret it pulls with",
    async () => {
      const tenant = await createNamespace(core, "chart-tenant");
      await core.createNamespacedSecret({ namespace: tenant, body: awsKeysSecret("aws-keys") });
      const credentials = new RegistryCredentials(kc, tenant);
      const calls = ecr.calls;
      await credentials.create(
        registryCredential("pull", {
          sources: [ecrWithStaticKeys("aws-keys")],
          podAdmission: { enabled: true, mechanism: "Webhook" },
        }),
      );
      const ready = await credentials.waitForReady("pull");
      expect(ready.status?.conditions?.find((c) => c.type === "Ready")?.reason).toBe("TokenRefreshed");
      expect(ready.status?.conditions?.find((c) => c.type === "PodAdmission")?.status).toBe("True");
      expect(ecr.calls).toBeGreaterThan(calls);
      const secret = await core.readNamespacedSecret({ namespace: tenant, name: "pull" });
      expect(secret.type).toBe("kubernetes.io/dockerconfigjson");
      await waitForPodAdmission(core, tenant, "pull");
      const pod = await core.createNamespacedPod({ namespace: tenant, body: privatePod("app") });
      expect(pod.spec?.imagePullSecrets).toEqual([{ name: "pull" }]);
      expect(await pullOutcome(core, tenant, "app")).toEqual({ state: "running" });
    },
    timeout,
  );

  it(
    "reconciles a ClusterRegistryCredential into every selected namespace, where pods pull through the admission policy",
    async () => {
      const team = uniqueName("chart-team");
      const namespaces = [
        await createNamespace(core, "chart-team-a", { team }),
        await createNamespace(core, "chart-team-b", { team }),
      ];
      const credentials = new ClusterRegistryCredentials(kc);
      await credentials.create(
        clusterRegistryCredential(team, {
          sources: [ecrWithStaticKeys("aws-keys")],
          namespaces: { selector: { matchLabels: { team } } },
          secret: { name: "registry-pull" },
          podAdmission: { enabled: true },
        }),
      );
      await credentials.waitFor(team, (c) => c.status?.namespaces?.inSync === 2);
      for (const ns of namespaces) {
        await waitForPodAdmission(core, ns, "registry-pull");
        await core.createNamespacedPod({ namespace: ns, body: privatePod("app") });
      }
      const outcomes = await Promise.all(namespaces.map((ns) => pullOutcome(core, ns, "app")));
      expect(outcomes).toEqual([{ state: "running" }, { state: "running" }]);
      await credentials.delete(team);
    },
    timeout,
  );

  it(
    "keeps every pod of a scale-up pulling while one operator pod is deleted and the leader is killed, and the new leader keeps rotating",
    async () => {
      const team = uniqueName("chart-restart");
      const ns = await createNamespace(core, "chart-restart", { team });
      const credentials = new ClusterRegistryCredentials(kc);
      await credentials.create(
        clusterRegistryCredential(team, {
          sources: [ecrWithStaticKeys("aws-keys")],
          namespaces: { selector: { matchLabels: { team } } },
          secret: { name: "registry-pull" },
          podAdmission: { enabled: true },
          refresh: { minInterval: "10s" },
        }),
      );
      await credentials.waitFor(team, (c) => c.status?.namespaces?.inSync === 1);
      await waitForPodAdmission(core, ns, "registry-pull");
      await apps.createNamespacedDeployment({ namespace: ns, body: deployment("app", privateImage, 1) });
      await waitForReplicas(kc, ns, "app", 1);

      const { leader, follower } = await leaderAndFollower();
      const tokenBefore = await tokenIn(ns);
      await setReplicas(apps, ns, "app", 15);
      await core.deleteNamespacedPod({ namespace, name: follower.metadata?.name as string });
      await core.deleteNamespacedPod({
        namespace,
        name: leader.metadata?.name as string,
        gracePeriodSeconds: 0,
      });
      await waitForReplicas(kc, ns, "app", 15);
      await waitForOperatorReady();
      await waitFor("a new operator pod to hold the leader Lease", async () => {
        const holder = await leaseHolder();
        return !!holder && !holder.startsWith(leader.metadata?.name as string);
      });
      // Tokens live a minute: the new leader must renew the Secret, and pods pull with what it wrote.
      await waitFor("the new leader to rotate the Secret", async () => (await tokenIn(ns)) !== tokenBefore, {
        timeoutMs: 90_000,
      });
      await setReplicas(apps, ns, "app", 20);
      await waitForReplicas(kc, ns, "app", 20);
      expect(await pullFailures(core, ns)).toEqual([]);
      expect(gate.refusedLogins()).toBe(0);
      await apps.deleteNamespacedDeployment({ namespace: ns, name: "app" });
      await credentials.delete(team);
    },
    timeout,
  );
});
