// Pods failing to pull, against the real control plane. The kubelet's part is played by writing pod
// status as the kubelet does (containerStatuses[].state.waiting with ErrImagePull or
// ImagePullBackOff and containerd's message); test/e2e/ shows the same on a real node. A refused
// credential gets exactly one fresh mint, and a refusal after it is a permission problem; a tenant's
// Event alone does nothing; pods stuck without the Secret are evicted where the resource opts in,
// while bare pods and pods a PodDisruptionBudget protects are only reported.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import type { PullFailureStatus, RegistryCredential } from "../../src/api/v1alpha1.js";
import { FakeEcrServer } from "../fakes/ecr/fake-ecr-server.js";
import {
  awsKeysSecret,
  dockerConfigOf,
  ecrWithStaticKeys,
  RegistryCredentials,
  readSecret,
  registryCredential,
} from "../support/fixtures.js";
import { adminKubeConfig, createNamespace, uniqueName } from "../support/kube.js";
import { reportPull } from "../support/kubelet-status.js";
import { startTestOperator, type TestOperator } from "../support/test-operator.js";
import { waitFor } from "../support/wait.js";

const timeout = 180_000;
const ecrHost = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const image = `${ecrHost}/team/app:1`;
const refused = `failed to pull and unpack image "${image}": failed to resolve reference "${image}": unexpected status from HEAD request to https://${ecrHost}/v2/team/app/manifests/1: 401 Unauthorized`;

let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
let policy: k8s.PolicyV1Api;
let ecr: FakeEcrServer;
let operator: TestOperator;

function freshKeys() {
  const keys = {
    accessKeyId: `AKIAPULL${randomBytes(6).toString("hex").toUpperCase()}`,
    secretAccessKey: `pull-secret/${randomBytes(12).toString("hex")}`,
  };
  ecr.registerCredentials(keys);
  return keys;
}

const mintsWith = (keys: { accessKeyId: string }) =>
  ecr.accessKeyIds.filter((id) => id === keys.accessKeyId).length;

/** Writes the pod's status as the kubelet does after a pull attempt (ErrImagePull) or while backing off. */
const failPull = (
  namespace: string,
  name: string,
  state: "ErrImagePull" | "ImagePullBackOff",
  message = refused,
) => reportPull(core, namespace, name, image, { waiting: state, message });

async function runningPod(namespace: string, name: string, pullSecret?: string): Promise<void> {
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name },
      spec: {
        containers: [{ name: "app", image }],
        ...(pullSecret ? { imagePullSecrets: [{ name: pullSecret }] } : {}),
      },
    },
  });
}

function failuresOf(rc: RegistryCredential | undefined, pod: string): PullFailureStatus[] {
  return rc?.status?.pullFailures?.filter((f) => f.pod === pod) ?? [];
}

async function passwordIn(namespace: string, name: string): Promise<string | undefined> {
  const secret = await readSecret(core, namespace, name);
  return secret ? dockerConfigOf(secret).auths[ecrHost]?.password : undefined;
}

beforeAll(async () => {
  kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
  policy = kc.makeApiClient(k8s.PolicyV1Api);
  ecr = await new FakeEcrServer("eu-west-1").start();
  operator = await startTestOperator({
    kc,
    aws: { ecrEndpoint: ecr.endpoint },
    config: { pullFailureRemintMs: 60 * 60_000, watchPullFailures: true },
  });
}, timeout);

afterAll(async () => {
  await operator?.stop();
  await ecr?.close();
}, timeout);

describe("a pod whose pull the registry refuses with the operator's Secret", () => {
  it(
    "gets exactly one fresh mint and Secret, and a refusal after it is reported as a permission problem",
    async () => {
      const namespace = await createNamespace(core, "pull-refused");
      const keys = freshKeys();
      await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys", keys) });
      const credentials = new RegistryCredentials(kc, namespace);
      await credentials.create(
        registryCredential("pull", {
          sources: [ecrWithStaticKeys("aws-keys")],
          refresh: { minInterval: "2h", maxInterval: "6h" },
        }),
      );
      await credentials.waitForReady("pull");
      expect(mintsWith(keys)).toBe(1);
      const before = await passwordIn(namespace, "pull");

      await runningPod(namespace, "first", "pull");
      await failPull(namespace, "first", "ErrImagePull");
      await waitFor("the fresh mint", async () => mintsWith(keys) === 2);
      await waitFor(
        "the fresh login in the Secret",
        async () => (await passwordIn(namespace, "pull")) !== before,
      );
      await waitFor("status to record the re-mint", async () =>
        failuresOf(await credentials.get("pull"), "first").some((f) => f.action === "Reminted"),
      );
      const [entry] = failuresOf(await credentials.get("pull"), "first");
      expect(entry).toMatchObject({ namespace, pod: "first", image, cause: "CredentialsRefused" });

      // Another pod of the same identity refused within the interval waits for the same fresh login.
      await runningPod(namespace, "second", "pull");
      await failPull(namespace, "second", "ImagePullBackOff");
      await waitFor("the second pod recorded", async () =>
        failuresOf(await credentials.get("pull"), "second").some((f) => f.action === "Reminted"),
      );

      // The kubelet's next attempt, well after the fresh login was written, is refused again.
      await new Promise((resolve) => setTimeout(resolve, 16_000));
      await failPull(namespace, "first", "ImagePullBackOff");
      await failPull(namespace, "first", "ErrImagePull", `${refused} (again)`);
      await waitFor("the permission problem", async () =>
        failuresOf(await credentials.get("pull"), "first").some((f) => f.action === "PermissionDenied"),
      );
      expect(mintsWith(keys)).toBe(2);

      // Pulling at last: the pod leaves status.pullFailures.
      await reportPull(core, namespace, "first", image, "Running");
      await waitFor("the recovered pod to leave status", async () => {
        const rc = await credentials.get("pull");
        return failuresOf(rc, "first").length === 0 && failuresOf(rc, "second").length === 1;
      });
    },
    timeout,
  );

  it(
    "is not believed from a tenant's Failed event alone: only pod status counts",
    async () => {
      const namespace = await createNamespace(core, "pull-event");
      const keys = freshKeys();
      await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys", keys) });
      const credentials = new RegistryCredentials(kc, namespace);
      await credentials.create(registryCredential("pull", { sources: [ecrWithStaticKeys("aws-keys")] }));
      await credentials.waitForReady("pull");
      await runningPod(namespace, "quiet", "pull");
      await core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name: uniqueName("fake") },
          involvedObject: { kind: "Pod", namespace, name: "quiet", apiVersion: "v1" },
          reason: "Failed",
          type: "Warning",
          message: `Failed to pull image "${image}": ${refused}`,
          source: { component: "kubelet" },
        },
      });
      // A real failure afterwards: once it is handled, the event had its chance.
      await runningPod(namespace, "loud", "pull");
      await failPull(namespace, "loud", "ErrImagePull");
      await waitFor("the real failure's re-mint", async () => mintsWith(keys) === 2);
      await waitFor("the real failure recorded", async () =>
        failuresOf(await credentials.get("pull"), "loud").some((f) => f.action === "Reminted"),
      );
      expect(mintsWith(keys)).toBe(2);
      expect(failuresOf(await credentials.get("pull"), "quiet")).toEqual([]);
    },
    timeout,
  );
});

describe("pods stuck without the Secret, with spec.pullFailures.evictPodsMissingSecret", () => {
  it(
    "evicts a Deployment's pod so it comes back with the Secret, and only reports a bare pod and a pod a PodDisruptionBudget protects",
    async () => {
      const namespace = await createNamespace(core, "pull-evict");
      await waitFor(`the default ServiceAccount in ${namespace}`, async () => {
        await core.readNamespacedServiceAccount({ namespace, name: "default" });
        return true;
      });
      const deployment = (name: string): k8s.V1Deployment => ({
        metadata: { name },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: "app", image }] },
          },
        },
      });
      // Created before the credential: their pods lack the Secret.
      await apps.createNamespacedDeployment({ namespace, body: deployment("web") });
      await apps.createNamespacedDeployment({ namespace, body: deployment("guarded") });
      await policy.createNamespacedPodDisruptionBudget({
        namespace,
        body: {
          metadata: { name: "guarded" },
          spec: { maxUnavailable: 0, selector: { matchLabels: { app: "guarded" } } },
        },
      });
      await runningPod(namespace, "bare");
      const podOf = async (app: string) =>
        (await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` })).items.find(
          (p) => !p.metadata?.deletionTimestamp,
        );
      await waitFor(
        "the Deployments' pods",
        async () => !!(await podOf("web")) && !!(await podOf("guarded")),
      );
      const web = (await podOf("web")) as k8s.V1Pod;
      const guarded = (await podOf("guarded")) as k8s.V1Pod;

      await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys", freshKeys()) });
      const credentials = new RegistryCredentials(kc, namespace);
      await credentials.create(
        registryCredential("pull", {
          sources: [ecrWithStaticKeys("aws-keys")],
          serviceAccounts: { names: ["default"] },
          pullFailures: { evictPodsMissingSecret: true },
        }),
      );
      await credentials.waitForReady("pull");
      await waitFor("the patched ServiceAccount", async () =>
        (
          (await core.readNamespacedServiceAccount({ namespace, name: "default" })).imagePullSecrets ?? []
        ).some((s) => s.name === "pull"),
      );
      const evictedBefore = await operator.metric("regcred_pod_evictions_total", { result: "Evicted" });
      for (const pod of [web, guarded])
        await failPull(namespace, pod.metadata?.name as string, "ImagePullBackOff");
      await failPull(namespace, "bare", "ImagePullBackOff");

      await waitFor("the web pod replaced by one with the Secret", async () => {
        const now = await podOf("web");
        return (
          !!now &&
          now.metadata?.uid !== web.metadata?.uid &&
          (now.spec?.imagePullSecrets ?? []).some((s) => s.name === "pull")
        );
      });
      // The replacement can be seen before the operator (in this process) has read the Eviction
      // API's answer and counted it.
      const evicted = () => operator.metric("regcred_pod_evictions_total", { result: "Evicted" });
      await waitFor("the eviction counted", async () => (await evicted()) > evictedBefore);
      expect(await evicted()).toBe(evictedBefore + 1);
      await waitFor("the bare and the guarded pod reported", async () => {
        const rc = await credentials.get("pull");
        return (
          failuresOf(rc, "bare").some((f) => f.action === "NotEvictable") &&
          failuresOf(rc, guarded.metadata?.name as string).some((f) => f.action === "EvictionRefused")
        );
      });
      const left = await core.listNamespacedPod({ namespace });
      const names = left.items.map((p) => p.metadata?.name);
      expect(names).toEqual(expect.arrayContaining(["bare", guarded.metadata?.name]));
    },
    timeout,
  );
});
