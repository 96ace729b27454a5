// The chart claims Kubernetes >= 1.30, but MutatingAdmissionPolicy is GA only in 1.36. This file
// runs its own control plane with that API turned off, as on an older cluster: a resource asking
// for mechanism AdmissionPolicy still gets its Secret and says in its PodAdmission condition (and an
// event) that the mechanism is unavailable and what to use instead, and mechanism Webhook works.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import type { PodAdmission } from "../../src/api/v1alpha1.js";
import { deleteMutatingWebhookConfiguration } from "../../src/webhook/webhook-configuration.js";
import { FakeEcrServer } from "../fakes/ecr/fake-ecr-server.js";
import { type ControlPlane, startControlPlane } from "../support/controlplane/controlplane.js";
import { freePort } from "../support/controlplane/ports.js";
import { installCrds } from "../support/crds.js";
import {
  awsKeysSecret,
  ClusterRegistryCredentials,
  clusterRegistryCredential,
  ecrWithStaticKeys,
  fakeAccessKey,
  RegistryCredentials,
  readSecret,
  registryCredential,
} from "../support/fixtures.js";
import { createNamespace, uniqueName } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/test-operator.js";
import { waitFor } from "../support/wait.js";

const timeout = 180_000;
const operatorNamespace = "regcred-system";
const withoutAdmissionPolicies = [
  "--runtime-config=admissionregistration.k8s.io/v1/mutatingadmissionpolicies=false,admissionregistration.k8s.io/v1/mutatingadmissionpolicybindings=false",
  "--disable-admission-plugins=MutatingAdmissionPolicy",
];
const unavailable =
  "pod admission through a MutatingAdmissionPolicy is not available: this cluster serves no MutatingAdmissionPolicy API (it needs Kubernetes 1.36 or later); use mechanism: Webhook";

let cluster: ControlPlane;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let ecr: FakeEcrServer;
let operator: TestOperator;
const webhookConfiguration = uniqueName("regcred-no-map-webhook");

beforeAll(async () => {
  cluster = await startControlPlane({ extraApiserverArgs: withoutAdmissionPolicies });
  kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  core = kc.makeApiClient(k8s.CoreV1Api);
  await installCrds(kc);
  ecr = await new FakeEcrServer("eu-west-1").start();
  ecr.registerCredentials(fakeAccessKey);
  const webhookPort = await freePort();
  operator = await startTestOperator({
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
}, timeout);

afterAll(async () => {
  await operator?.stop();
  if (kc)
    await deleteMutatingWebhookConfiguration(
      kc.makeApiClient(k8s.AdmissionregistrationV1Api),
      webhookConfiguration,
    );
  await ecr?.close();
  await cluster?.stop();
}, timeout);

/** The pull Secrets a pod created now in `namespace` would get at admission (a dry run). */
async function admittedPullSecrets(namespace: string): Promise<string[]> {
  const pod = await core.createNamespacedPod({
    namespace,
    dryRun: "All",
    body: { metadata: { name: "probe" }, spec: { containers: [{ name: "p", image: "probe" }] } },
  });
  return (pod.spec?.imagePullSecrets ?? []).map((r) => r.name ?? "");
}

describe("an apiserver that serves no MutatingAdmissionPolicy API", () => {
  it("does not serve it (the premise of this file)", async () => {
    const resources = await kc.makeApiClient(k8s.AdmissionregistrationV1Api).getAPIResources();
    expect(resources.resources.map((r) => r.name)).not.toContain("mutatingadmissionpolicies");
    expect(resources.resources.map((r) => r.name)).toContain("mutatingwebhookconfigurations");
  });

  it.each<[string, PodAdmission, Record<string, string>, string[]]>([
    [
      "writes the Secret of a RegistryCredential asking for mechanism AdmissionPolicy and says the mechanism is unavailable",
      { enabled: true },
      { status: "False", reason: "PodAdmissionUnavailable", message: unavailable },
      [],
    ],
    [
      "writes the Secret of a RegistryCredential asking for mechanism Webhook, which new pods get at admission",
      { enabled: true, mechanism: "Webhook" },
      { status: "True", reason: "Applied" },
      ["pull"],
    ],
  ])(
    "%s",
    async (_case, podAdmission, expected, admitted) => {
      const namespace = await createNamespace(core, "no-map");
      await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys") });
      const credentials = new RegistryCredentials(kc, namespace);
      await credentials.create(
        registryCredential("pull", { sources: [ecrWithStaticKeys("aws-keys")], podAdmission }),
      );
      const ready = await credentials.waitForReady("pull");
      expect((await readSecret(core, namespace, "pull"))?.type).toBe("kubernetes.io/dockerconfigjson");
      expect(ready.status?.conditions?.find((c) => c.type === "PodAdmission")).toMatchObject(expected);
      if (expected.status === "False")
        await waitFor(`a Warning event ${expected.reason}`, async () => {
          const events = await core.listNamespacedEvent({ namespace });
          return events.items.some((e) => e.type === "Warning" && e.reason === expected.reason);
        });
      // The webhook configuration is loaded asynchronously: wait for it before asserting.
      if (admitted.length > 0)
        await waitFor(
          "the webhook to add the Secret",
          async () => (await admittedPullSecrets(namespace)).length > 0,
        );
      expect(await admittedPullSecrets(namespace)).toEqual(admitted);
    },
    timeout,
  );

  it(
    "says the same on a ClusterRegistryCredential, and keeps reconciling",
    async () => {
      const team = uniqueName("no-map");
      const namespace = await createNamespace(core, "no-map-team", { team });
      await core.createNamespacedSecret({ namespace: operatorNamespace, body: awsKeysSecret("aws-keys") });
      const credentials = new ClusterRegistryCredentials(kc);
      await credentials.create(
        clusterRegistryCredential(team, {
          sources: [ecrWithStaticKeys("aws-keys")],
          namespaces: { selector: { matchLabels: { team } } },
          secret: { name: "registry-pull" },
          podAdmission: { enabled: true },
        }),
      );
      const synced = await credentials.waitFor(team, (c) => c.status?.namespaces?.inSync === 1);
      expect(synced.status?.conditions?.find((c) => c.type === "PodAdmission")).toMatchObject({
        status: "False",
        reason: "PodAdmissionUnavailable",
        message: unavailable,
      });
      expect((await readSecret(core, namespace, "registry-pull"))?.type).toBe(
        "kubernetes.io/dockerconfigjson",
      );
      expect(operator.ready()).toBe(true);
    },
    timeout,
  );
});
