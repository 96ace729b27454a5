// Fan-out against the real control plane: one ClusterRegistryCredential, one identity, many
// namespaces, ServiceAccount patching, selection changes, late accounts, cleanup, and a burst of
// 200 new namespaces whose first pods must already carry the pull Secret.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import type { PodAdmission } from "../../src/api/v1alpha1.js";
import type { OperatorConfig } from "../../src/config.js";
import { deleteMutatingWebhookConfiguration } from "../../src/webhook/webhook-configuration.js";
import { FakeEcrServer } from "../fakes/ecr/fake-ecr-server.js";
import { freePort } from "../support/controlplane/ports.js";
import {
  awsKeysSecret,
  ClusterRegistryCredentials,
  clusterRegistryCredential,
  dockerConfigOf,
  readSecret,
} from "../support/fixtures.js";
import { adminKubeConfig, createNamespace, uniqueName } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/test-operator.js";
import { waitFor } from "../support/wait.js";

const timeout = 240_000;
const operatorNamespace = "regcred-system";
const webhookConfiguration = uniqueName("regcred-test-webhook");
const keys = {
  accessKeyId: "AKIACLUSTERFANOUT001",
  secretAccessKey: "cluster-fan-out-secret-key/0123456789",
};

let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let ecr: FakeEcrServer;
let operator: TestOperator;
let operatorConfig: Partial<OperatorConfig>;
let clusterCredentials: ClusterRegistryCredentials;
let admission: k8s.AdmissionregistrationV1Api;

/** Mints made with this file's key (other files' leftovers may reach the fake with other keys). */
const mints = () => ecr.accessKeyIds.filter((id) => id === keys.accessKeyId).length;

async function labelledNamespaces(count: number, labels: Record<string, string>): Promise<string[]> {
  return Promise.all(Array.from({ length: count }, () => createNamespace(core, "fan", labels)));
}

async function relabel(namespace: string, labels: Record<string, string | null>): Promise<void> {
  await core.patchNamespace(
    { name: namespace, body: { metadata: { labels } } },
    k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
  );
}

async function account(namespace: string, name: string): Promise<k8s.V1ServiceAccount | undefined> {
  try {
    return await core.readNamespacedServiceAccount({ namespace, name });
  } catch {
    return undefined;
  }
}

const pullSecretNames = (sa: k8s.V1ServiceAccount | undefined) =>
  (sa?.imagePullSecrets ?? []).map((r) => r.name);

/** Creates a pod as soon as the namespace admits one (the `default` ServiceAccount must exist first). */
async function createPodAsap(namespace: string, podName = "first"): Promise<k8s.V1Pod> {
  let pod: k8s.V1Pod | undefined;
  await waitFor(
    `a pod to be admitted in ${namespace}`,
    async () => {
      try {
        pod = await core.createNamespacedPod({
          namespace,
          body: {
            metadata: { name: podName },
            spec: {
              containers: [{ name: "app", image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1" }],
            },
          },
        });
        return true;
      } catch (error) {
        if (error instanceof k8s.ApiException && /serviceaccount|service account/i.test(String(error.body)))
          return false;
        throw error;
      }
    },
    { timeoutMs: 60_000, intervalMs: 20 },
  );
  return pod as k8s.V1Pod;
}

beforeAll(async () => {
  kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  clusterCredentials = new ClusterRegistryCredentials(kc);
  admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
  try {
    await core.createNamespace({ body: { metadata: { name: operatorNamespace } } });
  } catch (error) {
    if (!(error instanceof k8s.ApiException) || error.code !== 409) throw error;
  }
  await core.deleteNamespacedSecret({ namespace: operatorNamespace, name: "fanout-keys" }).catch(() => {});
  await core.createNamespacedSecret({
    namespace: operatorNamespace,
    body: awsKeysSecret("fanout-keys", keys),
  });
  ecr = await new FakeEcrServer("eu-west-1").start();
  ecr.registerCredentials(keys);
  const webhookPort = await freePort();
  operatorConfig = {
    operatorNamespace,
    concurrency: 16,
    webhook: {
      host: "127.0.0.1",
      port: webhookPort,
      url: `https://127.0.0.1:${webhookPort}/mutate-pods`,
      configurationName: webhookConfiguration,
    },
  };
  operator = await startTestOperator({ kc, aws: { ecrEndpoint: ecr.endpoint }, config: operatorConfig });
}, timeout);

afterAll(async () => {
  await operator?.stop();
  await ecr?.close();
  // The webhook configuration is cluster-wide: leave none behind for other test files.
  await deleteMutatingWebhookConfiguration(
    kc.makeApiClient(k8s.AdmissionregistrationV1Api),
    webhookConfiguration,
  );
});

const ecrSource = { ecr: { region: "eu-west-1", auth: { secretRef: { name: "fanout-keys" } } } };

describe("ClusterRegistryCredential", () => {
  it(
    "writes one minted Secret into every selected namespace, patches their default accounts, and follows relabelling",
    async () => {
      const team = uniqueName("team");
      const selected = await labelledNamespaces(3, { team });
      const other = await createNamespace(core, "fan-other");
      const before = mints();
      const name = uniqueName("crc");
      await clusterCredentials.create(
        clusterRegistryCredential(name, {
          sources: [ecrSource],
          namespaces: { selector: { matchLabels: { team } } },
          serviceAccounts: { names: ["default"] },
          secret: { name: "registry-pull" },
        }),
      );
      const ready = await clusterCredentials.waitFor(name, (c) => c.status?.namespaces?.inSync === 3);
      expect(ready.status?.namespaces).toEqual({ targeted: 3, inSync: 3, failed: 0 });
      expect(ready.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
      expect(mints() - before).toBe(1);

      const secrets = await Promise.all(selected.map((ns) => readSecret(core, ns, "registry-pull")));
      expect(new Set(secrets.map((s) => JSON.stringify(dockerConfigOf(s as k8s.V1Secret)))).size).toBe(1);
      expect(await readSecret(core, other, "registry-pull")).toBeUndefined();
      await waitFor("default accounts to be patched", async () =>
        (await Promise.all(selected.map((ns) => account(ns, "default")))).every((sa) =>
          pullSecretNames(sa).includes("registry-pull"),
        ),
      );

      // Moving a namespace out removes the Secret and the patch; moving one in adds them.
      const [leaving] = selected as [string];
      await relabel(leaving, { team: null });
      await relabel(other, { team });
      await waitFor(
        "the Secret to follow the labels",
        async () =>
          !(await readSecret(core, leaving, "registry-pull")) &&
          !!(await readSecret(core, other, "registry-pull")),
      );
      await waitFor("the patches to follow the labels", async () => {
        const [out, into] = await Promise.all([account(leaving, "default"), account(other, "default")]);
        return (
          !pullSecretNames(out).includes("registry-pull") && pullSecretNames(into).includes("registry-pull")
        );
      });
      const after = await clusterCredentials.waitFor(name, (c) => c.status?.namespaces?.inSync === 3);
      expect(after.status?.namespaces?.targeted).toBe(3);
      expect(mints() - before).toBe(1);
      await clusterCredentials.delete(name);
    },
    timeout,
  );

  it(
    "patches ServiceAccounts created later, keeps foreign entries, reports a foreign Secret, and cleans up only its own objects",
    async () => {
      const team = uniqueName("team");
      const [first, second] = (await labelledNamespaces(2, { team })) as [string, string];
      await core.createNamespacedServiceAccount({
        namespace: first,
        body: { metadata: { name: "builder" }, imagePullSecrets: [{ name: "someone-elses" }] },
      });
      const foreign = await core.createNamespacedSecret({
        namespace: second,
        body: { metadata: { name: "registry-pull" }, stringData: { keep: "me" } },
      });
      const name = uniqueName("crc");
      await clusterCredentials.create(
        clusterRegistryCredential(name, {
          sources: [ecrSource],
          namespaces: { selector: { matchLabels: { team } } },
          serviceAccounts: { all: true },
          secret: { name: "registry-pull" },
        }),
      );
      const status = await clusterCredentials.waitFor(
        name,
        (c) => c.status?.namespaces?.failed === 1 && c.status?.namespaces?.inSync === 1,
      );
      expect(status.status?.failures).toEqual([
        expect.objectContaining({ namespace: second, reason: "SecretConflict" }),
      ]);
      expect((await readSecret(core, second, "registry-pull"))?.metadata?.resourceVersion).toBe(
        foreign.metadata?.resourceVersion,
      );

      await waitFor(
        "the existing account to be patched, keeping its entry",
        async () =>
          pullSecretNames(await account(first, "builder")).join(",") === "someone-elses,registry-pull",
      );
      await core.createNamespacedServiceAccount({ namespace: first, body: { metadata: { name: "late" } } });
      await waitFor("the late account to be patched", async () =>
        pullSecretNames(await account(first, "late")).includes("registry-pull"),
      );

      await clusterCredentials.delete(name);
      await waitFor("the resource to be gone", async () => !(await clusterCredentials.get(name)));
      expect(await readSecret(core, first, "registry-pull")).toBeUndefined();
      expect(pullSecretNames(await account(first, "builder"))).toEqual(["someone-elses"]);
      expect(pullSecretNames(await account(first, "late"))).toEqual([]);
      expect((await readSecret(core, second, "registry-pull"))?.data).toEqual(foreign.data);
    },
    timeout,
  );

  it(
    "after a restart, reuses only logins it wrote itself, neither trusting nor deleting a Secret a tenant planted, and restoring a copy a tenant edited",
    async () => {
      const team = uniqueName("team");
      const selected = (await labelledNamespaces(3, { team })).sort();
      const name = uniqueName("crc");
      const created = await clusterCredentials.create(
        clusterRegistryCredential(name, {
          sources: [ecrSource],
          namespaces: { selector: { matchLabels: { team } } },
          serviceAccounts: { names: ["default"] },
          secret: { name: "registry-pull" },
        }),
      );
      await clusterCredentials.waitFor(name, (c) => c.status?.namespaces?.inSync === 3);
      await operator.idle();
      await operator.stop();
      const before = mints();
      const genuine = dockerConfigOf(
        (await readSecret(core, selected[1] as string, "registry-pull")) as k8s.V1Secret,
      );
      const host = Object.keys(genuine.auths)[0] as string;
      const forged = (password: string) =>
        Buffer.from(
          JSON.stringify({
            auths: {
              [host]: { username: "AWS", password, auth: Buffer.from(`AWS:${password}`).toString("base64") },
            },
          }),
        ).toString("base64");

      // A tenant plants a Secret with the operator's marks in a namespace of its own that is not
      // selected (and sorts first), and edits the copy in the first selected namespace.
      const scratch = await createNamespace(core, "a0-scratch");
      await core.createNamespacedSecret({
        namespace: scratch,
        body: {
          metadata: {
            name: "registry-pull",
            labels: { "app.kubernetes.io/managed-by": "registry-credential-operator" },
            annotations: {
              "regcred.dev/owner": `ClusterRegistryCredential/${name}`,
              "regcred.dev/owner-uid": created.metadata.uid as string,
            },
          },
          type: "kubernetes.io/dockerconfigjson",
          data: { ".dockerconfigjson": forged("TENANT-PLANTED") },
        },
      });
      const edited = (await readSecret(core, selected[0] as string, "registry-pull")) as k8s.V1Secret;
      await core.replaceNamespacedSecret({
        namespace: selected[0] as string,
        name: "registry-pull",
        body: { ...edited, data: { ".dockerconfigjson": forged("TENANT-EDITED") } },
      });

      operator = await startTestOperator({ kc, aws: { ecrEndpoint: ecr.endpoint }, config: operatorConfig });
      // startTestOperator resolves once caches synced and every resource is queued; let it settle.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await operator.idle();
      expect(mints()).toBe(before);
      const passwords = await Promise.all(
        selected.map(
          async (ns) =>
            dockerConfigOf((await readSecret(core, ns, "registry-pull")) as k8s.V1Secret).auths[host]
              ?.password,
        ),
      );
      expect(passwords).toEqual(selected.map(() => genuine.auths[host]?.password));
      expect(await operator.metric("regcred_secret_writes_total")).toBe(1);
      expect(await operator.metric("regcred_serviceaccount_patches_total")).toBe(0);
      const planted = await readSecret(core, scratch, "registry-pull");
      expect(dockerConfigOf(planted as k8s.V1Secret).auths[host]?.password).toBe("TENANT-PLANTED");
      await clusterCredentials.delete(name);
    },
    timeout,
  );

  it.each<[string, PodAdmission | undefined]>([
    ["without the webhook, through an in-apiserver MutatingAdmissionPolicy", { enabled: true }],
    ["with the webhook", { enabled: true, mechanism: "Webhook" }],
  ])(
    "covers 200 namespaces created in a burst %s: every first pod carries the Secret and every namespace holds it",
    async (_mechanism, podAdmission) => {
      const team = uniqueName("burst");
      const name = uniqueName("crc");
      await clusterCredentials.create(
        clusterRegistryCredential(name, {
          sources: [ecrSource],
          namespaces: { selector: { matchLabels: { team } } },
          serviceAccounts: { names: ["default"] },
          secret: { name: "registry-pull" },
          ...(podAdmission ? { podAdmission } : {}),
        }),
      );
      await clusterCredentials.waitFor(
        name,
        (c) => c.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True") ?? false,
      );
      // The apiserver loads new admission policies asynchronously; wait until one injects. The probe
      // names its own pull secret, so the ServiceAccount plugin adds nothing and only the policy can.
      const canary = await createNamespace(core, "canary", { team });
      await waitFor("the admission policy to take effect", async () => {
        const probe = await core
          .createNamespacedPod({
            namespace: canary,
            dryRun: "All",
            body: {
              metadata: { name: "probe" },
              spec: { imagePullSecrets: [{ name: "probe" }], containers: [{ name: "p", image: "probe" }] },
            },
          })
          .catch(() => undefined);
        return (probe?.spec?.imagePullSecrets ?? []).some((r) => r.name === "registry-pull");
      });
      const before = mints();

      const names = Array.from({ length: 200 }, () => uniqueName("burst"));
      const pods = await Promise.all(
        names.map(async (namespace) => {
          await core.createNamespace({ body: { metadata: { name: namespace, labels: { team } } } });
          return createPodAsap(namespace);
        }),
      );
      const missing = pods.filter(
        (pod) => !(pod.spec?.imagePullSecrets ?? []).some((r) => r.name === "registry-pull"),
      );
      expect(missing.map((p) => p.metadata?.namespace)).toEqual([]);
      await waitFor(
        "the Secret in all 200 namespaces",
        async () =>
          (await Promise.all(names.map((ns) => readSecret(core, ns, "registry-pull")))).every(Boolean),
        { timeoutMs: 120_000 },
      );
      const status = await clusterCredentials.waitFor(name, (c) => c.status?.namespaces?.inSync === 201);
      expect(status.status?.namespaces).toEqual({ targeted: 201, inSync: 201, failed: 0 });
      expect(mints()).toBe(before);
      await clusterCredentials.delete(name);
      await waitFor("the admission policy to be removed with the resource", async () => {
        const policies = await admission.listMutatingAdmissionPolicy({
          labelSelector: "app.kubernetes.io/managed-by=registry-credential-operator",
        });
        return !policies.items.some(
          (p) => p.metadata?.annotations?.["regcred.dev/owner"] === `ClusterRegistryCredential/${name}`,
        );
      });
    },
    timeout,
  );
});
