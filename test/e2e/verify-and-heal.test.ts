// Verification and healing on a real node (kubelet, containerd, runc), issue 14's acceptance: the
// operator checks each new login against the registry (a gate in front of a loopback registry,
// serving the ECR host name to the node and to the operator's probe), so a login the registry
// refuses is Unauthorized and, under Enforce, never replaces the working one; a canary repository
// the identity may not pull is Forbidden while /v2/ accepts the login; a token revoked at the
// registry gets one fresh mint when the kubelet's pull fails, and the pod runs on the kubelet's
// next retry, while a tenant's fake Failed event mints nothing; pods created before the
// ServiceAccount patch are evicted where a controller recreates them, and only reported otherwise.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import {
  type Condition,
  type PullFailureStatus,
  type RegistryCredential,
  type RegistryCredentialSpec,
  registryCredentialNames,
} from "../../src/api/v1alpha1.js";
import { requestRotation } from "../../src/kube/request-rotation.js";
import { FakeEcrServer } from "../fakes/ecr/fake-ecr-server.js";
import { ensureControlPlaneBinary } from "../support/controlplane/build.js";
import {
  awsKeysSecret,
  dockerConfigOf,
  ecrWithStaticKeys,
  RegistryCredentials,
  readSecret,
  registryCredential,
} from "../support/fixtures.js";
import { testEnvironmentKeys } from "../support/jest/environment.js";
import { adminKubeConfig, createNamespace, uniqueName } from "../support/kube.js";
import { recordIssued } from "../support/leaks/ledger.js";
import { pauseImageSpec } from "../support/node/pause-image.js";
import { type KubeNode, startNode } from "../support/node/start-node.js";
import { type Registry, startRegistry } from "../support/registry.js";
import { type RegistryGate, startRegistryGate } from "../support/registry-gate.js";
import { startTestOperator, type TestOperator } from "../support/test-operator.js";
import { waitFor } from "../support/wait.js";
import { deployment } from "./support/deployments.js";
import { ecrHost, privateImage, pullOutcome } from "./support/ecr-world.js";

const timeout = 300_000;
const refresh = { minInterval: "2h", maxInterval: "6h" };
/** A repository the gate denies (403) to every login it admits. */
const deniedRepository = "team/private";

let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
let policy: k8s.PolicyV1Api;
let node: KubeNode;
let ecr: FakeEcrServer;
let registry: Registry;
let gate: RegistryGate;
let operator: TestOperator;
let scratch: string;
/** Passwords the fake ECR issued that the registry no longer accepts (revoked there). */
const revoked = new Set<string>();
/** While set, the registry refuses every password the fake ECR issued from this index on. */
let refusingIssuedFrom: number | undefined;

function registryAccepts(username: string, password: string): boolean {
  if (!ecr.accepts(username, password) || revoked.has(password)) return false;
  return refusingIssuedFrom === undefined || ecr.issuedPasswords.indexOf(password) < refusingIssuedFrom;
}

beforeAll(async () => {
  kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
  policy = kc.makeApiClient(k8s.PolicyV1Api);
  node = await startNode({
    kubeconfigPath: process.env[testEnvironmentKeys.kubeconfig] as string,
    controlPlaneBinary: await ensureControlPlaneBinary(),
  });
  ecr = await new FakeEcrServer("eu-west-1").start();
  scratch = mkdtempSync(join(tmpdir(), "regcred-e2e-verify-"));
  const registryLogin = { username: "gate", password: randomBytes(24).toString("base64url") };
  recordIssued("the gated registry's own password", registryLogin.password);
  registry = await startRegistry(registryLogin, pauseImageSpec(scratch));
  gate = await startRegistryGate(registry.host, registryLogin, registryAccepts, (path) =>
    path.startsWith(`/v2/${deniedRepository}/`),
  );
  await node.mirror(ecrHost, gate.host);
  operator = await startTestOperator({
    kc,
    aws: { ecrEndpoint: ecr.endpoint },
    config: {
      verification: {
        allowedNetworks: ["127.0.0.0/8"],
        insecureRegistries: [gate.host],
        refusedRemintMs: 5 * 60_000,
      },
      pullFailureRemintMs: 60 * 60_000,
      watchPullFailures: true,
    },
    // The gate (plain http) serves the ECR host to the probe, as the node's mirror does to containerd.
    registryProbe: { originOf: (host) => (host === ecrHost ? `http://${gate.host}` : `https://${host}`) },
  });
}, timeout);

afterAll(async () => {
  await operator?.stop();
  await gate?.stop();
  await registry?.stop();
  await ecr?.close();
  await node?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}, timeout);

/** A namespace with its own AWS keys (Secret aws-keys) and default ServiceAccount; returns the keys. */
async function namespaceWithKeys(prefix: string) {
  const namespace = await createNamespace(core, prefix);
  const keys = {
    accessKeyId: `AKIAHEAL${randomBytes(6).toString("hex").toUpperCase()}`,
    secretAccessKey: `heal-secret/${randomBytes(12).toString("hex")}`,
  };
  ecr.registerCredentials(keys);
  await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys", keys) });
  await waitFor(`the default ServiceAccount in ${namespace}`, async () => {
    await core.readNamespacedServiceAccount({ namespace, name: "default" });
    return true;
  });
  const mints = () => ecr.accessKeyIds.filter((id) => id === keys.accessKeyId).length;
  return { namespace, mints, credentials: new RegistryCredentials(kc, namespace) };
}

/** RegistryCredential "pull" from the namespace's aws-keys, refreshed at most every 2 hours. */
const pullCredential = (spec: Partial<RegistryCredentialSpec> = {}) =>
  registryCredential("pull", { sources: [ecrWithStaticKeys("aws-keys")], refresh, ...spec });

const conditionOf = (rc: RegistryCredential | undefined, type: string): Condition | undefined =>
  rc?.status?.conditions?.find((c) => c.type === type);

const failuresOf = (rc: RegistryCredential | undefined, pod: string): PullFailureStatus[] =>
  rc?.status?.pullFailures?.filter((f) => f.pod === pod) ?? [];

async function passwordIn(namespace: string): Promise<string | undefined> {
  const secret = await readSecret(core, namespace, "pull");
  return secret ? dockerConfigOf(secret).auths[ecrHost]?.password : undefined;
}

/** A bare pod of the private image, pulled on every start, with `pullSecret` if given. */
function bodyOf(name: string, pullSecret?: string): k8s.V1Pod {
  return {
    metadata: { name },
    spec: {
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 0,
      containers: [{ name: "app", image: privateImage, imagePullPolicy: "Always" }],
      ...(pullSecret ? { imagePullSecrets: [{ name: pullSecret }] } : {}),
    },
  };
}

describe("verification of each new login against the registry, on a real node", () => {
  it(
    "keeps the working login under Enforce when the registry refuses the rotated one, reporting Unauthorized and RegistryRefused",
    async () => {
      const { namespace, mints, credentials } = await namespaceWithKeys("verify-refused");
      await credentials.create(pullCredential({ verify: { mode: "Enforce" } }));
      const minted = await credentials.waitForReady("pull");
      expect(conditionOf(minted, "Verified")).toMatchObject({ status: "True", reason: "Authenticated" });
      expect(mints()).toBe(1);
      const first = await passwordIn(namespace);

      refusingIssuedFrom = ecr.issuedPasswords.length;
      try {
        const refusedBefore = gate.refusedLogins();
        await requestRotation(
          kc.makeApiClient(k8s.CustomObjectsApi),
          { plural: registryCredentialNames.plural, namespace, name: "pull" },
          "refused",
        );
        const refused = await credentials.waitForReady(
          "pull",
          (ready, rc) =>
            ready.status === "False" &&
            ready.reason === "RegistryRefused" &&
            conditionOf(rc, "Verified")?.reason === "Unauthorized",
        );
        expect(conditionOf(refused, "Verified")?.status).toBe("False");
        expect(mints()).toBe(2);
        expect(gate.refusedLogins()).toBeGreaterThan(refusedBefore);
        expect(await passwordIn(namespace)).toBe(first);
        // The login kept in place still pulls on the node.
        await core.createNamespacedPod({ namespace, body: bodyOf("kept-login", "pull") });
        expect(await pullOutcome(core, namespace, "kept-login")).toEqual({ state: "running" });
      } finally {
        for (const password of ecr.issuedPasswords.slice(refusingIssuedFrom)) revoked.add(password);
        refusingIssuedFrom = undefined;
      }
    },
    timeout,
  );

  it(
    "reports Forbidden for a canary image the identity may not pull, while /v2/ accepts the login",
    async () => {
      const { credentials } = await namespaceWithKeys("verify-canary");
      const canary = `${deniedRepository}:1`;
      await credentials.create(
        pullCredential({ sources: [{ ...ecrWithStaticKeys("aws-keys"), verify: { image: canary } }] }),
      );
      const rc = await credentials.waitForReady(
        "pull",
        (ready, found) => ready.status === "True" && conditionOf(found, "Verified")?.reason === "Forbidden",
      );
      expect(conditionOf(rc, "Verified")?.status).toBe("False");
      expect(rc.status?.verification).toEqual([
        expect.objectContaining({
          index: 0,
          host: ecrHost,
          image: canary,
          reason: "Forbidden",
          message: expect.stringMatching(
            /HEAD .*\/v2\/team\/private\/manifests\/1 answered 403.*after \/v2\/ accepted/,
          ),
        }),
      ]);
    },
    timeout,
  );
});

describe("pods failing to pull on a real node", () => {
  it(
    "gets one fresh mint when the registry revoked the token, so the pod runs on the kubelet's next retry untouched, and a tenant's fake Failed event mints nothing",
    async () => {
      const { namespace, mints, credentials } = await namespaceWithKeys("heal-revoked");
      await credentials.create(pullCredential());
      await credentials.waitForReady("pull");
      await core.createNamespacedPod({ namespace, body: bodyOf("quiet", "pull") });
      expect(await pullOutcome(core, namespace, "quiet")).toEqual({ state: "running" });
      await core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name: uniqueName("fake") },
          involvedObject: { kind: "Pod", namespace, name: "quiet", apiVersion: "v1" },
          reason: "Failed",
          type: "Warning",
          message: `Failed to pull image "${privateImage}": failed to resolve reference "${privateImage}": unexpected status from HEAD request to https://${ecrHost}/v2/app/manifests/1: 401 Unauthorized`,
          source: { component: "kubelet" },
        },
      });
      expect(mints()).toBe(1);

      revoked.add((await passwordIn(namespace)) as string);
      await core.createNamespacedPod({ namespace, body: bodyOf("next", "pull") });
      const created = await core.readNamespacedPod({ namespace, name: "next" });
      expect(await pullOutcome(core, namespace, "next")).toMatchObject({
        state: "refused",
        reason: expect.stringMatching(/ErrImagePull|ImagePullBackOff/),
      });
      // The real failure after the fake event: its re-mint shows the event took no share of the budget.
      await waitFor("the fresh mint", async () => mints() === 2, { timeoutMs: 30_000 });
      await waitFor("the re-mint recorded for pod next", async () =>
        failuresOf(await credentials.get("pull"), "next").some((f) => f.action === "Reminted"),
      );
      expect(await pullOutcome(core, namespace, "next", "running")).toEqual({ state: "running" });
      const ran = await core.readNamespacedPod({ namespace, name: "next" });
      expect(ran.metadata?.uid).toBe(created.metadata?.uid);
      expect(mints()).toBe(2);
      expect(failuresOf(await credentials.get("pull"), "quiet")).toEqual([]);
    },
    timeout,
  );

  it(
    "evicts a Deployment's pod created before the ServiceAccount patch so it comes back running with the Secret, and only reports a bare pod and a pod a PodDisruptionBudget protects",
    async () => {
      const { namespace, credentials } = await namespaceWithKeys("heal-evict");
      // Created before the credential: their pods lack the Secret, and the registry refuses them.
      await apps.createNamespacedDeployment({ namespace, body: deployment("web", privateImage, 1) });
      await apps.createNamespacedDeployment({ namespace, body: deployment("guarded", privateImage, 1) });
      await policy.createNamespacedPodDisruptionBudget({
        namespace,
        body: {
          metadata: { name: "guarded" },
          spec: { maxUnavailable: 0, selector: { matchLabels: { app: "guarded" } } },
        },
      });
      await core.createNamespacedPod({ namespace, body: bodyOf("bare") });
      const podOf = async (app: string) =>
        (await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` })).items.find(
          (p) => !p.metadata?.deletionTimestamp,
        );
      let web: k8s.V1Pod | undefined;
      let guarded: k8s.V1Pod | undefined;
      await waitFor("the Deployments' pods", async () => {
        web = await podOf("web");
        guarded = await podOf("guarded");
        return !!web && !!guarded;
      });
      for (const name of [web?.metadata?.name as string, "bare"])
        expect(await pullOutcome(core, namespace, name)).toMatchObject({ state: "refused" });

      await credentials.create(
        pullCredential({
          serviceAccounts: { names: ["default"] },
          pullFailures: { evictPodsMissingSecret: true },
        }),
      );
      await credentials.waitForReady("pull");
      let replacement: k8s.V1Pod | undefined;
      await waitFor(
        "the web pod replaced by one with the Secret",
        async () => {
          replacement = await podOf("web");
          return (
            !!replacement &&
            replacement.metadata?.uid !== web?.metadata?.uid &&
            (replacement.spec?.imagePullSecrets ?? []).some((s) => s.name === "pull")
          );
        },
        { timeoutMs: 240_000 },
      );
      const replacementName = replacement?.metadata?.name as string;
      expect(await pullOutcome(core, namespace, replacementName, "running")).toEqual({ state: "running" });
      await waitFor(
        "the bare and the guarded pod reported",
        async () => {
          const rc = await credentials.get("pull");
          return (
            failuresOf(rc, "bare").some((f) => f.action === "NotEvictable") &&
            failuresOf(rc, guarded?.metadata?.name as string).some((f) => f.action === "EvictionRefused")
          );
        },
        { timeoutMs: 240_000 },
      );
      const left = (await core.listNamespacedPod({ namespace })).items.map((p) => p.metadata?.uid);
      expect(left).toEqual(expect.arrayContaining([guarded?.metadata?.uid]));
      expect((await core.readNamespacedPod({ namespace, name: "bare" })).metadata?.deletionTimestamp).toBe(
        undefined,
      );
    },
    timeout,
  );
});
