// The pod admission webhook against the real kube-apiserver of the shared control plane, which calls
// it at https://127.0.0.1:PORT/mutate-pods (clientConfig.url + caBundle). Each test registers its own
// MutatingWebhookConfiguration, restricted to namespaces labelled with a value unique to that test,
// and deletes it afterwards, so no other test file on the shared control plane ever reaches it.

import { X509Certificate } from "node:crypto";
import { request } from "node:https";
import type { TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { createLogger } from "../../src/logging/logger.js";
import { type AdmissionServer, startAdmissionServer } from "../../src/webhook/admission-server.js";
import { type ServingCertificate, ServingCertificateManager } from "../../src/webhook/serving-certificate.js";
import {
  deleteMutatingWebhookConfiguration,
  ensureMutatingWebhookConfiguration,
  type MutatingWebhookOptions,
} from "../../src/webhook/webhook-configuration.js";
import { MutablePullSecretIndex } from "../fakes/webhook/mutable-pull-secret-index.js";
import { adminKubeConfig, createNamespace, uniqueName } from "../support/kube.js";
import { waitFor } from "../support/wait.js";

const timeout = 120_000;
const testLabel = "regcred-webhook-test";
const owner = "ClusterRegistryCredential/webhook-test";
const dnsNames = ["regcred-webhook.regcred-system.svc"];

let core: k8s.CoreV1Api;
let admission: k8s.AdmissionregistrationV1Api;
/** Where the serving-certificate Secrets live (plays the operator's namespace). */
let operatorNamespace: string;
const namespaces: string[] = [];
const logs: string[] = [];
const logger = createLogger({ level: "debug", destination: { write: (line: string) => logs.push(line) } });

beforeAll(async () => {
  const kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
  operatorNamespace = await createNamespace(core, "webhook-operator");
  namespaces.push(operatorNamespace);
});

afterAll(async () => {
  await Promise.allSettled(namespaces.map((name) => core.deleteNamespace({ name })));
});

/** A running webhook (server + registered configuration) whose namespaces carry `labels`. */
interface Webhook {
  index: MutablePullSecretIndex;
  server: AdmissionServer;
  configName: string;
  labels: Record<string, string>;
  certificates: ServingCertificateManager;
  stop(): Promise<void>;
}

async function startWebhook(
  certificateOptions: { validityMs?: number; secretName?: string } = {},
): Promise<Webhook> {
  const labels = { [testLabel]: uniqueName("t") };
  const configName = uniqueName("regcred-webhook-test");
  const index = new MutablePullSecretIndex();
  let server: AdmissionServer | undefined;
  const configuration = (caBundlePem: string): MutatingWebhookOptions => ({
    name: configName,
    clientConfig: { url: `https://127.0.0.1:${server?.port ?? 0}/mutate-pods` },
    caBundlePem,
    excludedNamespaces: ["kube-system", operatorNamespace],
    namespaceMatchLabels: labels,
  });
  const certificates = new ServingCertificateManager({
    core,
    namespace: operatorNamespace,
    secretName: certificateOptions.secretName ?? uniqueName("webhook-tls"),
    dnsNames,
    ipAddresses: ["127.0.0.1"],
    validityMs: certificateOptions.validityMs,
    logger,
    // Keep the apiserver's trust current before a new certificate is served (no gap on rotation).
    beforeServing: async (certificate) => {
      if (server) await ensureMutatingWebhookConfiguration(admission, configuration(certificate.caPem));
    },
  });
  const first = await certificates.ensure();
  server = await startAdmissionServer({ host: "127.0.0.1", port: 0, tls: certificates.tls, index, logger });
  try {
    expect(await ensureMutatingWebhookConfiguration(admission, configuration(first.caPem))).toBe("created");
    expect(await ensureMutatingWebhookConfiguration(admission, configuration(first.caPem))).toBe("unchanged");
  } catch (error) {
    await server.close();
    await deleteMutatingWebhookConfiguration(admission, configName);
    throw error;
  }
  const running = server;
  return {
    index,
    server: running,
    configName,
    labels,
    certificates,
    async stop() {
      await running.close();
      await deleteMutatingWebhookConfiguration(admission, configName);
    },
  };
}

async function labelledNamespace(prefix: string, labels: Record<string, string>): Promise<string> {
  const name = await createNamespace(core, prefix, labels);
  namespaces.push(name);
  return name;
}

function pod(name: string, metadata: Partial<k8s.V1ObjectMeta> = {}): k8s.V1Pod {
  return {
    metadata: { name, ...metadata },
    spec: {
      containers: [{ name: "app", image: "registry.example.com/team/app:1" }],
      imagePullSecrets: [{ name: "foreign-b" }, { name: "foreign-a" }],
    },
  };
}

/**
 * Creates the pod, retrying while the namespace's `default` ServiceAccount does not exist yet (the
 * controller manager creates it shortly after the namespace). Any other failure throws at once.
 */
async function createPod(namespace: string, body: k8s.V1Pod, dryRun?: "All"): Promise<k8s.V1Pod> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await core.createNamespacedPod({ namespace, body, dryRun });
    } catch (error) {
      const missingServiceAccount =
        error instanceof k8s.ApiException && /serviceaccount .* not found/i.test(String(error.body));
      if (!missingServiceAccount || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const pullSecretNames = (p: k8s.V1Pod) => (p.spec?.imagePullSecrets ?? []).map((s) => s.name);

/**
 * Waits until the apiserver sends pods of `namespace` to the webhook (the configuration reaches the
 * apiserver's webhook cache asynchronously), probing with dry-run creates that persist nothing.
 */
async function waitUntilActive(namespace: string, expected: string): Promise<void> {
  await waitFor(
    `the webhook to mutate pods in ${namespace}`,
    async () =>
      pullSecretNames(await createPod(namespace, pod(uniqueName("probe")), "All")).includes(expected),
    { timeoutMs: 30_000, intervalMs: 250 },
  );
}

/** Log lines of reviews for pods in `namespace` (the webhook logs every review at debug level). */
const reviewsIn = (namespace: string) =>
  logs.filter((line) => line.includes(`"namespace":"${namespace}"`) && line.includes('"uid"'));

describe("pod admission webhook", () => {
  it(
    "(a) adds the managed pull secret to pods of a targeted namespace, keeping foreign entries first",
    async () => {
      const webhook = await startWebhook();
      try {
        const namespace = await labelledNamespace("webhook-a", webhook.labels);
        webhook.index.set(owner, namespace, ["ecr-pull", "gar-pull"]);
        await waitUntilActive(namespace, "ecr-pull");

        const created = await createPod(namespace, pod("web"));
        expect(pullSecretNames(created)).toEqual(["foreign-b", "foreign-a", "ecr-pull", "gar-pull"]);
        const stored = await core.readNamespacedPod({ namespace, name: "web" });
        expect(pullSecretNames(stored)).toEqual(["foreign-b", "foreign-a", "ecr-pull", "gar-pull"]);

        // A pod without the array gets one; a pod that already lists the secret is left as it is.
        const bare = await createPod(namespace, {
          ...pod("bare"),
          spec: { containers: [{ name: "a", image: "x" }] },
        });
        expect(pullSecretNames(bare)).toEqual(["ecr-pull", "gar-pull"]);
        const already = await createPod(namespace, {
          ...pod("already"),
          spec: { containers: [{ name: "a", image: "x" }], imagePullSecrets: [{ name: "gar-pull" }] },
        });
        expect(pullSecretNames(already)).toEqual(["gar-pull", "ecr-pull"]);

        // Opting out by label (objectSelector: never sent) or by annotation (sent, left unchanged).
        const byLabel = await createPod(
          namespace,
          pod("opt-out-label", { labels: { "regcred.dev/inject": "false" } }),
        );
        expect(pullSecretNames(byLabel)).toEqual(["foreign-b", "foreign-a"]);
        const byAnnotation = await createPod(
          namespace,
          pod("opt-out-annotation", { annotations: { "regcred.dev/inject": "false" } }),
        );
        expect(pullSecretNames(byAnnotation)).toEqual(["foreign-b", "foreign-a"]);

        expect(logs.join("")).not.toContain("registry.example.com/team/app");
      } finally {
        await webhook.stop();
      }
    },
    timeout,
  );

  it(
    "(b) leaves pods of a namespace the index does not target untouched",
    async () => {
      const webhook = await startWebhook();
      try {
        const targeted = await labelledNamespace("webhook-b-on", webhook.labels);
        const untargeted = await labelledNamespace("webhook-b-off", webhook.labels);
        webhook.index.set(owner, targeted, ["ecr-pull"]);
        await waitUntilActive(targeted, "ecr-pull");

        const created = await createPod(untargeted, pod("web"));
        expect(pullSecretNames(created)).toEqual(["foreign-b", "foreign-a"]);
        // The apiserver did call the webhook for it (the namespace matches the selector); it chose no patch.
        expect(reviewsIn(untargeted).length).toBeGreaterThan(0);
      } finally {
        await webhook.stop();
      }
    },
    timeout,
  );

  it(
    "(c) injects into a pod created right after its namespace",
    async () => {
      const webhook = await startWebhook();
      try {
        const probe = await labelledNamespace("webhook-c-probe", webhook.labels);
        webhook.index.set(owner, probe, ["ecr-pull"]);
        await waitUntilActive(probe, "ecr-pull");

        // The controller updates the index on the namespace event; setting it before the namespace
        // exists models a pod that arrives in the same instant as the namespace.
        const namespace = uniqueName("webhook-c");
        webhook.index.set(owner, namespace, ["ecr-pull"]);
        await core.createNamespace({ body: { metadata: { name: namespace, labels: webhook.labels } } });
        namespaces.push(namespace);
        const created = await createPod(namespace, pod("first"));
        expect(pullSecretNames(created)).toEqual(["foreign-b", "foreign-a", "ecr-pull"]);
      } finally {
        await webhook.stop();
      }
    },
    timeout,
  );

  it(
    "(d) admits pods while the webhook server is down (failurePolicy Ignore)",
    async () => {
      const webhook = await startWebhook();
      try {
        const namespace = await labelledNamespace("webhook-d", webhook.labels);
        webhook.index.set(owner, namespace, ["ecr-pull"]);
        await waitUntilActive(namespace, "ecr-pull");

        await webhook.server.close();
        await admission.readMutatingWebhookConfiguration({ name: webhook.configName });
        const started = Date.now();
        const created = await createPod(namespace, pod("while-down"));
        const elapsedMs = Date.now() - started;
        expect(pullSecretNames(created)).toEqual(["foreign-b", "foreign-a"]);
        // Refused connections fail fast; at worst the apiserver waits out timeoutSeconds (2 s).
        expect(elapsedMs).toBeLessThan(10_000);
      } finally {
        await webhook.stop();
      }
    },
    timeout,
  );
});

describe("the webhook configuration's owner", () => {
  it("is set on the configuration, which the garbage collector deletes with the owner; an owner recreated under a new uid owns the new one", async () => {
    const rbac = adminKubeConfig().makeApiClient(k8s.RbacAuthorizationV1Api);
    const roleName = uniqueName("regcred-webhook-owner");
    const configName = uniqueName("regcred-owned-webhook");
    const matchNone = { [testLabel]: uniqueName("none") };
    const ownerOf = async () => {
      const role = await rbac.readClusterRole({ name: roleName });
      return {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        name: roleName,
        uid: role.metadata?.uid as string,
      };
    };
    const options = async (): Promise<MutatingWebhookOptions> => ({
      name: configName,
      clientConfig: { url: "https://127.0.0.1:9/mutate-pods" },
      caBundlePem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
      excludedNamespaces: ["kube-system"],
      namespaceMatchLabels: matchNone,
      owner: await ownerOf(),
    });
    try {
      await rbac.createClusterRole({ body: { metadata: { name: roleName }, rules: [] } });
      expect(await ensureMutatingWebhookConfiguration(admission, await options())).toBe("created");
      expect(await ensureMutatingWebhookConfiguration(admission, await options())).toBe("unchanged");
      const first = await ownerOf();
      expect(
        (await admission.readMutatingWebhookConfiguration({ name: configName })).metadata?.ownerReferences,
      ).toEqual([first]);

      await rbac.deleteClusterRole({ name: roleName });
      await waitFor("the garbage collector to delete the owned configuration", async () =>
        admission.readMutatingWebhookConfiguration({ name: configName }).then(
          () => false,
          () => true,
        ),
      );
      await rbac.createClusterRole({ body: { metadata: { name: roleName }, rules: [] } });
      expect(await ensureMutatingWebhookConfiguration(admission, await options())).toBe("created");
      const second = await ownerOf();
      expect(second.uid).not.toBe(first.uid);
      expect(
        (await admission.readMutatingWebhookConfiguration({ name: configName })).metadata?.ownerReferences,
      ).toEqual([second]);
    } finally {
      await deleteMutatingWebhookConfiguration(admission, configName);
      await rbac.deleteClusterRole({ name: roleName }).catch(() => {});
    }
  }, 60_000);
});

describe("webhook serving certificate", () => {
  const secretData = async (name: string) => {
    const secret = await core.readNamespacedSecret({ namespace: operatorNamespace, name });
    const text = (key: string) => Buffer.from(secret.data?.[key] ?? "", "base64").toString("utf8");
    return { secret, certPem: text("tls.crt"), keyPem: text("tls.key"), caPem: text("ca.crt") };
  };
  const manager = (secretName: string, validityMs?: number) =>
    new ServingCertificateManager({
      core,
      namespace: operatorNamespace,
      secretName,
      dnsNames,
      ipAddresses: ["127.0.0.1"],
      validityMs,
      logger,
    });
  const caCount = (c: ServingCertificate) => c.caPem.match(/BEGIN CERTIFICATE/g)?.length ?? 0;

  it(
    "(e1) is stored once and reused by every instance; racing creators agree",
    async () => {
      const secretName = uniqueName("webhook-tls");
      const [one, two] = await Promise.all([manager(secretName).ensure(), manager(secretName).ensure()]);
      expect(two.certPem).toBe(one.certPem);
      const third = await manager(secretName).ensure();
      expect(third.certPem).toBe(one.certPem);

      const stored = await secretData(secretName);
      expect(stored.secret.type).toBe("kubernetes.io/tls");
      expect(stored.secret.metadata?.labels?.["app.kubernetes.io/managed-by"]).toBe(
        "registry-credential-operator",
      );
      expect(stored.certPem).toBe(one.certPem);
      expect(stored.keyPem).toBe(one.keyPem);
      expect(stored.caPem).toBe(one.caPem);

      const cert = new X509Certificate(one.certPem);
      expect(cert.checkHost(dnsNames[0] ?? "", { subject: "never" })).toBe(dnsNames[0]);
      expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
      expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
      expect(cert.verify(new X509Certificate(one.caPem).publicKey)).toBe(true);
      const validityDays = (cert.validToDate.getTime() - Date.now()) / 86_400_000;
      expect(validityDays).toBeGreaterThan(364);
      expect(validityDays).toBeLessThan(366);
    },
    timeout,
  );

  it(
    "(e2) is rotated when less than a third of its validity remains, trusting the old CA meanwhile",
    async () => {
      const secretName = uniqueName("webhook-tls");
      const validityMs = 9_000;
      const first = await manager(secretName, validityMs).ensure();
      const other = manager(secretName, validityMs);
      expect((await other.ensure()).certPem).toBe(first.certPem);

      let rotated: ServingCertificate | undefined;
      await waitFor(
        "the certificate to be rotated",
        async () => {
          rotated = await manager(secretName, validityMs).ensure();
          return rotated.certPem !== first.certPem;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      if (!rotated) throw new Error("unreachable");
      expect(Date.now()).toBeLessThan(first.notAfter.getTime());
      expect(caCount(rotated)).toBe(2);
      expect(rotated.caPem).toContain(first.caPem.trim());
      expect((await secretData(secretName)).certPem).toBe(rotated.certPem);
      // Another instance picks up the rotated certificate instead of rotating again.
      expect((await other.ensure()).certPem).toBe(rotated.certPem);
    },
    timeout,
  );

  it(
    "(e3) a rotated certificate is served without a restart and the apiserver keeps trusting the webhook",
    async () => {
      const webhook = await startWebhook({ validityMs: 9_000 });
      try {
        const namespace = await labelledNamespace("webhook-e", webhook.labels);
        webhook.index.set(owner, namespace, ["ecr-pull"]);
        await waitUntilActive(namespace, "ecr-pull");
        const before = webhook.certificates.current();
        expect(await servedFingerprint(webhook.server.port, before.caPem)).toBe(fingerprint(before.certPem));

        await waitFor(
          "the webhook's certificate to be rotated",
          async () => (await webhook.certificates.ensure()).certPem !== before.certPem,
          { timeoutMs: 30_000, intervalMs: 250 },
        );
        const after = webhook.certificates.current();
        expect(await servedFingerprint(webhook.server.port, after.caPem)).toBe(fingerprint(after.certPem));
        const config = await admission.readMutatingWebhookConfiguration({ name: webhook.configName });
        expect(config.webhooks?.[0]?.clientConfig.caBundle).toBe(Buffer.from(after.caPem).toString("base64"));
        await waitUntilActive(namespace, "ecr-pull");
      } finally {
        await webhook.stop();
      }
    },
    timeout,
  );
});

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

/** The fingerprint of the certificate the webhook presents to a new connection to 127.0.0.1 (no SNI). */
function servedFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path: "/healthz", ca, agent: false }, (res) => {
      resolve((res.socket as TLSSocket).getPeerCertificate().fingerprint256);
      res.resume();
    })
      .on("error", reject)
      .end();
  });
}
