// The operator core against a real control plane, with the real AWS SDK talking SigV4 over HTTP
// to a fake ECR (and to moto for scenario 4). Each test runs its own operator scoped to its own
// namespace, so counts of provider calls and writes belong to that test alone.
import { beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import type { RegistryCredential } from "../../src/api/v1alpha1.js";
import { FakeEcrServer } from "../fakes/ecr/fake-ecr-server.js";
import {
  awsKeysSecret,
  dockerConfigOf,
  ecrWithStaticKeys,
  fakeAccessKey,
  RegistryCredentials,
  readSecret,
  registryCredential,
} from "../support/fixtures.js";
import { adminKubeConfig, createNamespace } from "../support/kube.js";
import { startMoto } from "../support/moto.js";
import { startTestOperator, type TestOperator } from "../support/test-operator.js";
import { waitFor } from "../support/wait.js";

const timeout = 120_000;
const allLogs: string[] = [];
const issuedSecrets: string[] = [];
const namespaces: string[] = [];

let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;

interface World {
  namespace: string;
  ecr: FakeEcrServer;
  operator: TestOperator;
  credentials: RegistryCredentials;
}

/** A namespace with the fake ECR's static keys in Secret "aws-keys", and an operator watching it. */
async function world(prefix: string, configure: (ecr: FakeEcrServer) => void = () => {}): Promise<World> {
  const namespace = await createNamespace(core, prefix);
  namespaces.push(namespace);
  const ecr = await new FakeEcrServer("eu-west-1").start();
  ecr.registerCredentials(fakeAccessKey);
  configure(ecr);
  await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys") });
  const operator = await startTestOperator({
    kc,
    aws: { ecrEndpoint: ecr.endpoint },
    config: { watchNamespace: namespace },
    logs: allLogs,
  });
  return { namespace, ecr, operator, credentials: new RegistryCredentials(kc, namespace) };
}

async function close(w: World): Promise<void> {
  await w.operator.stop();
  issuedSecrets.push(...w.ecr.issuedSecrets);
  await w.ecr.close();
}

async function events(namespace: string, involved: string) {
  const list = await core.listNamespacedEvent({ namespace });
  return list.items.filter((e) => e.involvedObject.name === involved);
}

const readyReason = (rc: RegistryCredential) =>
  rc.status?.conditions?.find((c) => c.type === "Ready")?.reason;

beforeAll(() => {
  kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
});

describe("RegistryCredential with the ECR provider", () => {
  it(
    "1. becomes Ready and writes a correct dockerconfigjson Secret owned by the resource",
    async () => {
      const w = await world("create");
      try {
        const created = await w.credentials.create(
          registryCredential("pull", {
            sources: [ecrWithStaticKeys("aws-keys")],
            secret: { name: "pull-secret", labels: { team: "a" }, annotations: { note: "x" } },
          }),
        );
        const rc = await w.credentials.waitForReady("pull");
        const secret = await readSecret(core, w.namespace, "pull-secret");
        expect(secret?.type).toBe("kubernetes.io/dockerconfigjson");
        const host = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
        const config = dockerConfigOf(secret as k8s.V1Secret);
        expect(Object.keys(config)).toEqual(["auths"]);
        expect(Object.keys(config.auths)).toEqual([host]);
        const entry = config.auths[host];
        expect(Object.keys(entry ?? {}).sort()).toEqual(["auth", "password", "username"]);
        expect(entry?.username).toBe("AWS");
        expect(w.ecr.issuedSecrets).toContain(entry?.password);
        expect(entry?.auth).toBe(Buffer.from(`AWS:${entry?.password}`).toString("base64"));
        expect(secret?.metadata?.labels).toMatchObject({
          team: "a",
          "app.kubernetes.io/managed-by": "registry-credential-operator",
        });
        expect(secret?.metadata?.annotations).toMatchObject({
          note: "x",
          "regcred.dev/owner": `RegistryCredential/${w.namespace}/pull`,
          "regcred.dev/owner-uid": created.metadata.uid,
          "regcred.dev/expires-at": rc.status?.expiresAt,
        });
        expect(secret?.metadata?.ownerReferences).toEqual([
          expect.objectContaining({
            kind: "RegistryCredential",
            name: "pull",
            uid: created.metadata.uid,
            controller: true,
          }),
        ]);
        expect(rc.status).toMatchObject({
          observedGeneration: 1,
          secretName: "pull-secret",
          sources: [expect.objectContaining({ index: 0, provider: "ecr", hosts: [host] })],
        });
        expect(
          new Date(rc.status?.nextRefreshTime as string) < new Date(rc.status?.expiresAt as string),
        ).toBe(true);
        expect(w.ecr.calls).toBe(1);
      } finally {
        await close(w);
      }
    },
    timeout,
  );

  it(
    "2. renews a short-lived token before it expires",
    async () => {
      const w = await world("refresh", (ecr) => ecr.setTokenLifetime(30_000));
      try {
        await w.credentials.create(
          registryCredential("pull", {
            sources: [ecrWithStaticKeys("aws-keys")],
            refresh: { minInterval: "10s" },
          }),
        );
        const first = await w.credentials.waitForReady("pull");
        const before = dockerConfigOf((await readSecret(core, w.namespace, "pull")) as k8s.V1Secret);
        const renewed = await w.credentials.waitForReady(
          "pull",
          (ready, rc) =>
            ready.status === "True" && rc.status?.lastRefreshTime !== first.status?.lastRefreshTime,
          40_000,
        );
        const after = dockerConfigOf((await readSecret(core, w.namespace, "pull")) as k8s.V1Secret);
        expect(after).not.toEqual(before);
        expect(
          new Date(renewed.status?.lastRefreshTime as string) < new Date(first.status?.expiresAt as string),
        ).toBe(true);
        expect(
          new Date(renewed.status?.expiresAt as string) > new Date(first.status?.expiresAt as string),
        ).toBe(true);
        expect(w.ecr.calls).toBe(2);
      } finally {
        await close(w);
      }
    },
    timeout,
  );

  it(
    "3. keeps the Secret byte-for-byte through an outage, backs off, and recovers",
    async () => {
      const w = await world("outage", (ecr) => ecr.setTokenLifetime(120_000));
      try {
        await w.credentials.create(
          registryCredential("pull", {
            sources: [ecrWithStaticKeys("aws-keys")],
            refresh: { minInterval: "10s", lifetimeFraction: 0.1, jitterFraction: 0 },
          }),
        );
        await w.credentials.waitForReady("pull");
        const good = await readSecret(core, w.namespace, "pull");
        w.ecr.behave("unavailable");

        const firstFailure = await w.credentials.waitForReady(
          "pull",
          (ready) => ready.reason === "ProviderError",
          40_000,
        );
        const ready = firstFailure.status?.conditions?.find((c) => c.type === "Ready");
        expect(ready?.status).toBe("False");
        expect(ready?.message).toContain("spec.sources[0] (ecr eu-west-1)");
        expect(ready?.message).toContain("ServiceUnavailable");
        expect(ready?.message).toContain("keeps the last login of spec.sources[0] until it expires at");
        const mints = () => w.operator.metric("regcred_provider_calls_total", { provider: "ecr" });
        const mintsAtFirstFailure = await mints();
        const secondFailure = await w.credentials.waitForReady(
          "pull",
          (r, rc) =>
            r.reason === "ProviderError" &&
            rc.status?.nextRefreshTime !== firstFailure.status?.nextRefreshTime,
          40_000,
        );
        // Exponential backoff: the second retry is planned further out than the first.
        const failedAt = new Date(ready?.lastTransitionTime as string).getTime();
        const firstRetryAt = new Date(firstFailure.status?.nextRefreshTime as string).getTime();
        const secondRetryAt = new Date(secondFailure.status?.nextRefreshTime as string).getTime();
        expect(secondRetryAt - firstRetryAt).toBeGreaterThan(firstRetryAt - failedAt);
        // One mint per retry, no hammering (the SDK's own retries of a 503 happen inside a mint).
        expect(await mints()).toBe(mintsAtFirstFailure + 1);
        const during = await readSecret(core, w.namespace, "pull");
        expect(during?.data).toEqual(good?.data);
        expect(during?.metadata?.resourceVersion).toBe(good?.metadata?.resourceVersion);
        const warnings = (await events(w.namespace, "pull")).filter((e) => e.type === "Warning");
        expect(warnings.map((e) => e.reason)).toContain("ProviderError");

        w.ecr.behave("normal");
        await w.credentials.waitForReady("pull", (r) => r.status === "True", 60_000);
        const recovered = await readSecret(core, w.namespace, "pull");
        expect(recovered?.data).not.toEqual(good?.data);
      } finally {
        await close(w);
      }
    },
    timeout,
  );

  it(
    "4. does not hot-loop on moto's token, whose expiry lies in 2015",
    async () => {
      const moto = await startMoto();
      const namespace = await createNamespace(core, "moto");
      namespaces.push(namespace);
      await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys") });
      const operator = await startTestOperator({
        kc,
        aws: { ecrEndpoint: moto.endpoint, stsEndpoint: moto.endpoint },
        config: { watchNamespace: namespace },
        logs: allLogs,
      });
      try {
        const credentials = new RegistryCredentials(kc, namespace);
        await credentials.create(
          registryCredential("pull", {
            sources: [ecrWithStaticKeys("aws-keys", "us-east-1")],
            refresh: { minInterval: "20s" },
          }),
        );
        const rc = await credentials.waitForReady("pull");
        expect(new Date(rc.status?.expiresAt as string).getUTCFullYear()).toBe(2015);
        const planned =
          new Date(rc.status?.nextRefreshTime as string).getTime() -
          new Date(rc.status?.lastRefreshTime as string).getTime();
        expect(planned).toBe(20_000);
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        expect(await operator.metric("regcred_provider_calls_total", { provider: "ecr" })).toBe(1);
      } finally {
        await operator.stop();
        await moto.stop();
      }
    },
    timeout,
  );

  it(
    "5. leaves a foreign Secret untouched and reports SecretConflict",
    async () => {
      const w = await world("conflict");
      try {
        const foreign = await core.createNamespacedSecret({
          namespace: w.namespace,
          body: { metadata: { name: "taken" }, stringData: { keep: "me" } },
        });
        await w.credentials.create(
          registryCredential("pull", { sources: [ecrWithStaticKeys("aws-keys")], secret: { name: "taken" } }),
        );
        const rc = await w.credentials.waitForReady("pull", (ready) => ready.reason === "SecretConflict");
        expect(rc.status?.conditions?.[0]?.message).toContain(`Secret ${w.namespace}/taken`);
        const after = await readSecret(core, w.namespace, "taken");
        expect(after?.metadata?.resourceVersion).toBe(foreign.metadata?.resourceVersion);
        expect(after?.data).toEqual(foreign.data);
        expect(w.ecr.calls).toBe(0);
      } finally {
        await close(w);
      }
    },
    timeout,
  );

  it.each([
    ["Delete", "removes the Secret"],
    ["Retain", "keeps the Secret without the operator's marks"],
  ] as const)(
    "6. on deletion with deletionPolicy %s, %s",
    async (policy, _outcome) => {
      const w = await world(`delete-${policy.toLowerCase()}`);
      try {
        await w.credentials.create(
          registryCredential("pull", { sources: [ecrWithStaticKeys("aws-keys")], deletionPolicy: policy }),
        );
        await w.credentials.waitForReady("pull");
        await w.credentials.delete("pull");
        await waitFor(
          "the RegistryCredential to be gone",
          async () => (await w.credentials.get("pull")) === undefined,
        );
        const secret = await readSecret(core, w.namespace, "pull");
        if (policy === "Delete") {
          expect(secret).toBeUndefined();
        } else {
          expect(secret?.data?.[".dockerconfigjson"]).toBeDefined();
          expect(secret?.metadata?.labels?.["app.kubernetes.io/managed-by"]).toBeUndefined();
          expect(
            Object.keys(secret?.metadata?.annotations ?? {}).filter((k) => k.startsWith("regcred.dev/")),
          ).toEqual([]);
          expect(secret?.metadata?.ownerReferences ?? []).toEqual([]);
        }
      } finally {
        await close(w);
      }
    },
    timeout,
  );

  it(
    "7. after a restart, reuses only logins it wrote itself: no provider call for untouched Secrets, a mint and a rewrite for one a tenant edited",
    async () => {
      const w = await world("restart");
      try {
        for (const name of ["a", "b", "c"]) {
          await w.credentials.create(registryCredential(name, { sources: [ecrWithStaticKeys("aws-keys")] }));
        }
        // "t" reads keys of its own: another identity, so what happens to it happens to it alone.
        await core.createNamespacedSecret({ namespace: w.namespace, body: awsKeysSecret("t-keys") });
        await w.credentials.create(registryCredential("t", { sources: [ecrWithStaticKeys("t-keys")] }));
        const names = ["a", "b", "c", "t"];
        const before = await Promise.all(names.map((name) => w.credentials.waitForReady(name)));
        const secretsBefore = await Promise.all(names.map((name) => readSecret(core, w.namespace, name)));
        const calls = w.ecr.calls;
        await w.operator.stop();

        // While no operator runs, a tenant edits its managed Secret to hold a password of its choosing.
        const host = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
        const forged = JSON.stringify({
          auths: {
            [host]: {
              username: "AWS",
              password: "TENANT-CHOSEN",
              auth: Buffer.from("AWS:TENANT-CHOSEN").toString("base64"),
            },
          },
        });
        const t = secretsBefore[3] as k8s.V1Secret;
        await core.replaceNamespacedSecret({
          namespace: w.namespace,
          name: "t",
          body: { ...t, data: { ".dockerconfigjson": Buffer.from(forged).toString("base64") } },
        });

        w.operator = await startTestOperator({
          kc,
          aws: { ecrEndpoint: w.ecr.endpoint },
          config: { watchNamespace: w.namespace },
          logs: allLogs,
        });
        await waitFor(
          "the restarted operator to reconcile all four",
          async () => (await reconcileCount(w.operator)) >= 4,
        );
        await w.operator.idle();
        expect(w.ecr.calls).toBe(calls + 1);
        expect(await w.operator.metric("regcred_secret_writes_total")).toBe(1);
        const after = await Promise.all(names.slice(0, 3).map((name) => w.credentials.get(name)));
        expect(after.map((rc) => rc?.metadata.resourceVersion)).toEqual(
          before.slice(0, 3).map((rc) => rc.metadata.resourceVersion),
        );
        const secretsAfter = await Promise.all(names.map((name) => readSecret(core, w.namespace, name)));
        expect(secretsAfter.slice(0, 3).map((s) => s?.metadata?.resourceVersion)).toEqual(
          secretsBefore.slice(0, 3).map((s) => s?.metadata?.resourceVersion),
        );
        for (const secret of secretsAfter)
          expect(w.ecr.issuedSecrets).toContain(dockerConfigOf(secret as k8s.V1Secret).auths[host]?.password);
      } finally {
        await close(w);
      }
    },
    timeout,
  );

  it(
    "8. serves 50 resources with one identity from one provider call",
    async () => {
      const w = await world("fanin");
      try {
        const names = Array.from({ length: 50 }, (_, i) => `pull-${i}`);
        await Promise.all(
          names.map((name) =>
            w.credentials.create(registryCredential(name, { sources: [ecrWithStaticKeys("aws-keys")] })),
          ),
        );
        for (const name of names) await w.credentials.waitForReady(name, undefined, 60_000);
        expect(w.ecr.calls).toBe(1);
        expect(await w.operator.metric("regcred_provider_calls_total", { provider: "ecr" })).toBe(1);
      } finally {
        await close(w);
      }
    },
    timeout,
  );

  it(
    "9. reports a malformed or missing auth Secret clearly while serving the others",
    async () => {
      const w = await world("malformed");
      try {
        await core.createNamespacedSecret({
          namespace: w.namespace,
          body: {
            metadata: { name: "half-keys" },
            stringData: { AWS_ACCESS_KEY_ID: fakeAccessKey.accessKeyId },
          },
        });
        await w.credentials.create(
          registryCredential("broken", { sources: [ecrWithStaticKeys("half-keys")] }),
        );
        await w.credentials.create(
          registryCredential("missing", { sources: [ecrWithStaticKeys("no-such-secret")] }),
        );
        await w.credentials.create(registryCredential("good", { sources: [ecrWithStaticKeys("aws-keys")] }));

        const broken = await w.credentials.waitForReady("broken", (ready) => ready.status === "False");
        expect(readyReason(broken)).toBe("InvalidSpec");
        expect(broken.status?.conditions?.[0]?.message).toContain("half-keys");
        expect(broken.status?.conditions?.[0]?.message).toContain("AWS_SECRET_ACCESS_KEY");
        const missing = await w.credentials.waitForReady("missing", (ready) => ready.status === "False");
        expect(readyReason(missing)).toBe("AuthSecretMissing");
        expect(missing.status?.conditions?.[0]?.message).toContain(
          `Secret ${w.namespace}/no-such-secret not found`,
        );
        await w.credentials.waitForReady("good");
        expect(await readSecret(core, w.namespace, "broken")).toBeUndefined();
        expect((await events(w.namespace, "broken")).map((e) => e.reason)).toContain("InvalidSpec");
        const health = await fetch(`http://127.0.0.1:${w.operator.address.port}/readyz`);
        expect(health.status).toBe(200);
      } finally {
        await close(w);
      }
    },
    timeout,
  );

  it(
    "9b. reports a provider whose error text quotes every credential it knows, without showing any of them",
    async () => {
      const w = await world("echo");
      try {
        await w.credentials.create(registryCredential("pull", { sources: [ecrWithStaticKeys("aws-keys")] }));
        await w.credentials.waitForReady("pull");
        // The Secret's token is now one the fake issued; every later answer quotes it, and the keys.
        w.ecr.behave("echo-credentials");
        // A Secret of its own: another identity, so the next credential mints instead of using the cache.
        await core.createNamespacedSecret({ namespace: w.namespace, body: awsKeysSecret("echo-keys") });
        await w.credentials.create(
          registryCredential("echoed", { sources: [ecrWithStaticKeys("echo-keys")] }),
        );
        const echoed = await w.credentials.waitForReady("echoed", (ready) => ready.status === "False");
        const message = echoed.status?.conditions?.[0]?.message ?? "";
        expect(message).toContain("InvalidParameterException");
        expect(message).toContain("[REDACTED]");
        expect((await events(w.namespace, "echoed")).some((e) => e.message?.includes("[REDACTED]"))).toBe(
          true,
        );
        const shown = [
          message,
          ...(await events(w.namespace, "echoed")).map((e) => e.message ?? ""),
          ...allLogs,
        ];
        for (const secret of [...w.ecr.issuedSecrets, fakeAccessKey.secretAccessKey])
          expect(shown.filter((text) => text.includes(secret))).toEqual([]);
      } finally {
        await close(w);
      }
    },
    timeout,
  );

  it("10. never shows a token value in a log line, event or status of this file's runs", async () => {
    expect(allLogs.length).toBeGreaterThan(50);
    expect(issuedSecrets.length).toBeGreaterThan(0);
    const objects: string[] = [];
    for (const namespace of namespaces) {
      objects.push(JSON.stringify((await core.listNamespacedEvent({ namespace })).items));
      objects.push(JSON.stringify((await new RegistryCredentials(kc, namespace).get("pull")) ?? {}));
    }
    const haystacks = [...allLogs, ...objects];
    const leaks = issuedSecrets.filter((secret) => haystacks.some((text) => text.includes(secret)));
    expect(leaks).toEqual([]);
    expect(haystacks.some((text) => text.includes(fakeAccessKey.secretAccessKey))).toBe(false);
  });
});

async function reconcileCount(operator: TestOperator): Promise<number> {
  const metric = operator.metrics.registry.getSingleMetric("regcred_reconcile_duration_seconds");
  const values = (await metric?.get())?.values ?? [];
  return values
    .filter((v) => (v as { metricName?: string }).metricName === "regcred_reconcile_duration_seconds_count")
    .reduce((s, v) => s + v.value, 0);
}
