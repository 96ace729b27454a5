// A fleet of tenants, each with its own AWS identity in one account, mints and then rotates at once
// against an ECR that throttles per account and region, without one throttled call: the operator's
// mints keep to the limit --provider-rate-limits gives (ECR's documented 20/s, burst 200, by
// default). Here the account's limit is small, so that 100 tenants exceed it on a machine of any
// speed, and the operator is given less of it, as for an account other clients share. The fake runs
// in this test's process, beside the operator: an event-loop stall of a loaded machine hands it
// calls made seconds apart at once, which only a burst well above the operator's absorbs (ECR sees
// calls as they arrive). With the limit lifted, the same fleet is throttled: the fake can fail
// this test. Each operator watches its tenants' namespace alone: the control plane is shared, and
// the ECR sources other test files leave behind would otherwise call this fake too.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import type { RegistryCredential } from "../../src/api/v1alpha1.js";
import { group, registryCredentialNames, version } from "../../src/api/v1alpha1.js";
import { runPool } from "../../src/controller/credential/targets.js";
import { requestRotation } from "../../src/kube/request-rotation.js";
import { FakeEcrServer } from "../fakes/ecr/fake-ecr-server.js";
import { awsKeysSecret, ecrWithStaticKeys, registryCredential } from "../support/fixtures.js";
import { adminKubeConfig, createNamespace } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/test-operator.js";
import { waitFor } from "../support/wait.js";

const timeout = 240_000;
/** Twice the fake's burst and a second's refill: their first mints, or a rotation of all, cannot fit in them. */
const tenants = 100;
/** The account's limit, which the fake ECR enforces. */
const accountLimit = { perSecond: 10, burst: 40 };
/** What the operator is given: 80 % of the rate and 40 % of the burst. */
const operatorLimit = { perSecond: 8, burst: 16 };

let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let objects: k8s.CustomObjectsApi;
let ecr: FakeEcrServer;
let operator: TestOperator | undefined;
/** Namespaces whose tenants are not yet removed. */
const remaining = new Set<string>();

/** AWS keys of one tenant, registered with `server`. */
function tenantKeys(server: FakeEcrServer) {
  const keys = {
    accessKeyId: `AKIARATE${randomBytes(6).toString("hex").toUpperCase()}`,
    secretAccessKey: `rate-limit/${randomBytes(12).toString("hex")}`,
  };
  server.registerCredentials(keys);
  return keys;
}

beforeAll(async () => {
  kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  objects = kc.makeApiClient(k8s.CustomObjectsApi);
  ecr = await new FakeEcrServer("eu-west-1")
    .throttleAbove(accountLimit.perSecond, accountLimit.burst)
    .start();
}, timeout);

afterAll(async () => {
  await removeRemainingTenants();
  await operator?.stop();
  await ecr?.close();
}, timeout);

/**
 * Removes the tenants a failed test left, with the operator that watches their namespace (each
 * watches one), before that operator stops; left behind if it has stopped already.
 */
async function removeRemainingTenants(): Promise<void> {
  for (const namespace of remaining) await removeTenants(namespace).catch(() => {});
}

describe("mints of many identities in one AWS account", () => {
  it(
    `keep to the account's limit in the first mints and a fleet-wide rotation of ${tenants} RegistryCredentials: one call per identity, none throttled`,
    async () => {
      const namespace = await createNamespace(core, "rate-limit");
      await createTenants(namespace);
      operator = await startTestOperator({
        kc,
        aws: { ecrEndpoint: ecr.endpoint },
        config: { watchNamespace: namespace, concurrency: 16, mintRates: { ecr: operatorLimit } },
      });
      await waitForReady(namespace, (rc) =>
        rc.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
      );
      expect(ecr.calls).toBe(tenants);
      // Every tenant asks for a rotation at once: forced mints, as fast as the workers go.
      await rotateAll(namespace, "fleet-1");
      await waitForReady(namespace, (rc) => rc.status?.lastRotation?.value === "fleet-1");
      expect(ecr.throttled).toBe(0);
      expect(ecr.calls).toBe(2 * tenants);
      // Mints beyond the burst waited for the rate.
      expect(await waitedSeconds(operator)).toBeGreaterThan(0);
      await removeTenants(namespace);
    },
    timeout,
  );

  it(
    "are throttled with the limit lifted (--provider-rate-limits ecr=off)",
    async () => {
      await removeRemainingTenants();
      await operator?.stop();
      const fresh = await new FakeEcrServer("eu-west-1")
        .throttleAbove(accountLimit.perSecond, accountLimit.burst)
        .start();
      try {
        const namespace = await createNamespace(core, "rate-unlimited");
        await createTenants(namespace, fresh);
        operator = await startTestOperator({
          kc,
          aws: { ecrEndpoint: fresh.endpoint },
          config: { watchNamespace: namespace, concurrency: 16, mintRates: {} },
        });
        // The first mints of the new tenants alone exceed the account's limit.
        await waitFor("a throttled call", async () => fresh.throttled > 0, { timeoutMs: 60_000 });
        await removeTenants(namespace);
        await operator.stop();
        operator = undefined;
      } finally {
        await fresh.close();
      }
    },
    timeout,
  );
});

/** Seconds the operator's ECR mints waited for the rate limit, in all (regcred_mint_rate_limit_wait_seconds). */
async function waitedSeconds(running: TestOperator): Promise<number> {
  const histogram = running.metrics.registry.getSingleMetric("regcred_mint_rate_limit_wait_seconds");
  const values = (await histogram?.get())?.values ?? [];
  return values
    .filter((v) => (v as { metricName?: string }).metricName?.endsWith("_sum") && v.labels.provider === "ecr")
    .reduce((sum, v) => sum + v.value, 0);
}

/** One keys Secret and one RegistryCredential per tenant, each tenant its own AWS identity. */
async function createTenants(namespace: string, server = ecr): Promise<void> {
  remaining.add(namespace);
  await runPool(
    Array.from({ length: tenants }, (_, i) => i),
    16,
    async (i) => {
      const keysName = `keys-${i}`;
      const keys = tenantKeys(server);
      await core.createNamespacedSecret({ namespace, body: awsKeysSecret(keysName, keys) });
      await objects.createNamespacedCustomObject({
        group,
        version,
        namespace,
        plural: registryCredentialNames.plural,
        body: registryCredential(`tenant-${i}`, { sources: [ecrWithStaticKeys(keysName)] }),
      });
    },
  );
}

/**
 * Deletes the tenants' RegistryCredentials while the operator runs, so its finalizer lets them go,
 * then their namespace: the control plane is shared, and every later test file's operator would
 * otherwise reconcile these RegistryCredentials, whose fake ECR is gone, before its own.
 */
async function removeTenants(namespace: string): Promise<void> {
  const resource = { group, version, namespace, plural: registryCredentialNames.plural };
  await objects.deleteCollectionNamespacedCustomObject(resource);
  await waitFor(
    `the RegistryCredentials in ${namespace} deleted`,
    async () =>
      ((await objects.listNamespacedCustomObject(resource)) as { items: unknown[] }).items.length === 0,
    { timeoutMs: 120_000, intervalMs: 500 },
  );
  await core.deleteNamespace({ name: namespace });
  remaining.delete(namespace);
}

async function rotateAll(namespace: string, value: string): Promise<void> {
  await runPool(
    Array.from({ length: tenants }, (_, i) => `tenant-${i}`),
    32,
    (name) => requestRotation(objects, { plural: registryCredentialNames.plural, namespace, name }, value),
  );
}

async function waitForReady(
  namespace: string,
  done: (rc: RegistryCredential) => boolean | undefined,
): Promise<void> {
  await waitFor(
    `all ${tenants} RegistryCredentials in ${namespace} done`,
    async () => {
      const list = (await objects.listNamespacedCustomObject({
        group,
        version,
        namespace,
        plural: registryCredentialNames.plural,
      })) as { items: RegistryCredential[] };
      return list.items.filter((rc) => done(rc)).length === tenants;
    },
    { timeoutMs: 180_000, intervalMs: 500 },
  );
}
