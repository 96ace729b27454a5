// Secrets a tenant creates with the operator's label and another tenant's resource named in their
// annotations: the operator neither holds them in memory nor reconciles that resource for them.
// Security review finding 13.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { FakeEcrServer } from "../fakes/ecr/fake-ecr-server.js";
import {
  awsKeysSecret,
  ecrWithStaticKeys,
  fakeAccessKey,
  RegistryCredentials,
  registryCredential,
} from "../support/fixtures.js";
import { adminKubeConfig, createNamespace } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/test-operator.js";
import { waitFor } from "../support/wait.js";

const timeout = 120_000;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let ecr: FakeEcrServer;
let operator: TestOperator | undefined;

beforeAll(async () => {
  kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  ecr = await new FakeEcrServer("eu-west-1").start();
  ecr.registerCredentials(fakeAccessKey);
});

afterAll(async () => {
  await operator?.stop();
  await ecr?.close();
});

/** How often the operator has reconciled `key` ("namespace/name"), from its debug log. */
function reconcilesOf(of: TestOperator, key: string): number {
  return of.logs.filter((line) => {
    const entry = JSON.parse(line) as { msg?: string; key?: string };
    return entry.msg === "reconciled" && entry.key === key;
  }).length;
}

describe("Secrets a tenant labels as the operator's", () => {
  it(
    "are not cached and do not requeue the resource they name",
    async () => {
      const victim = await createNamespace(core, "ts-victim");
      const tenant = await createNamespace(core, "ts-tenant");
      await core.createNamespacedSecret({ namespace: victim, body: awsKeysSecret("aws-keys") });
      operator = await startTestOperator({ kc, aws: { ecrEndpoint: ecr.endpoint } });
      const credentials = new RegistryCredentials(kc, victim);
      const created = await credentials.create(
        registryCredential("pull", { sources: [ecrWithStaticKeys("aws-keys")] }),
      );
      await credentials.waitForReady("pull");
      await operator.idle();
      const key = `${victim}/pull`;
      const reconcilesBefore = reconcilesOf(operator, key);
      expect(reconcilesBefore).toBeGreaterThan(0);

      // 20 Secrets of up to 64 KiB each, with the marks of the victim's credential, written again and again.
      const forged = (name: string, round: number): k8s.V1Secret => ({
        metadata: {
          name,
          labels: { "app.kubernetes.io/managed-by": "registry-credential-operator" },
          annotations: {
            "regcred.dev/owner": `RegistryCredential/${victim}/pull`,
            "regcred.dev/owner-uid": created.metadata.uid as string,
            round: String(round),
          },
        },
        data: { blob: Buffer.alloc(64 * 1024, round).toString("base64") },
      });
      const names = Array.from({ length: 20 }, (_, i) => `forged-${i}`);
      for (const name of names)
        await core.createNamespacedSecret({ namespace: tenant, body: forged(name, 0) });
      for (let round = 1; round <= 3; round++)
        for (const name of names)
          await core.replaceNamespacedSecret({ namespace: tenant, name, body: forged(name, round) });
      // Let the watch deliver all 80 events.
      await waitFor("the forged Secrets' last version to be written", async () => {
        const last = await core.readNamespacedSecret({ namespace: tenant, name: "forged-19" });
        return last.metadata?.annotations?.round === "3";
      });
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await operator.idle();

      expect(reconcilesOf(operator, key)).toBe(reconcilesBefore);
      // Other test files' operators write Secrets in their own namespaces meanwhile, so the
      // cluster-wide cached_objects gauge moves; the tenant's namespace is this test's alone.
      expect(operator.cachedSecretNames(tenant)).toEqual([]);
      expect(operator.cachedSecretNames(victim)).toEqual(["pull"]);
      await credentials.delete("pull");
    },
    timeout,
  );
});
