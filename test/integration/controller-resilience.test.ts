// Watches must survive an apiserver restart. This file runs its own control plane, because it
// restarts kube-apiserver, which the shared one must not see.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { FakeEcrServer } from "../fakes/ecr/fake-ecr-server.js";
import { type ControlPlane, startControlPlane } from "../support/controlplane/controlplane.js";
import { installCrds } from "../support/crds.js";
import {
  awsKeysSecret,
  ecrWithStaticKeys,
  fakeAccessKey,
  RegistryCredentials,
  readSecret,
  registryCredential,
} from "../support/fixtures.js";
import { createNamespace } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/test-operator.js";
import { waitFor } from "../support/wait.js";

const timeout = 180_000;

describe("the controller across an apiserver restart", () => {
  let cluster: ControlPlane;
  let kc: k8s.KubeConfig;
  let ecr: FakeEcrServer;
  let operator: TestOperator;

  beforeAll(async () => {
    cluster = await startControlPlane();
    kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    await installCrds(kc);
    ecr = await new FakeEcrServer("eu-west-1").start();
    ecr.registerCredentials(fakeAccessKey);
    operator = await startTestOperator({ kc, aws: { ecrEndpoint: ecr.endpoint } });
  }, timeout);

  afterAll(async () => {
    await operator?.stop();
    await ecr?.close();
    await cluster?.stop();
  }, timeout);

  it(
    "keeps reconciling new resources and repairs deleted Secrets after kube-apiserver restarts",
    async () => {
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const namespace = await createNamespace(core, "resilience");
      await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys") });
      const credentials = new RegistryCredentials(kc, namespace);
      await credentials.create(registryCredential("before", { sources: [ecrWithStaticKeys("aws-keys")] }));
      await credentials.waitForReady("before");

      await cluster.restartAPIServer();
      await waitFor(
        "the apiserver to serve again",
        async () => (await core.listNamespace()).items.length > 0,
        {
          timeoutMs: 60_000,
        },
      );

      // A resource created after the restart is seen only if the RegistryCredential watch recovered.
      await credentials.create(registryCredential("after", { sources: [ecrWithStaticKeys("aws-keys")] }));
      await credentials.waitForReady("after", undefined, 90_000);
      expect(await readSecret(core, namespace, "after")).toBeDefined();

      // A deleted Secret is recreated only if the Secret watch recovered.
      await core.deleteNamespacedSecret({ namespace, name: "before" });
      await waitFor(
        "the operator to recreate the deleted Secret",
        async () => !!(await readSecret(core, namespace, "before")),
        {
          timeoutMs: 90_000,
        },
      );
      const recreated = await readSecret(core, namespace, "before");
      expect(recreated?.type).toBe("kubernetes.io/dockerconfigjson");
      expect(operator.ready()).toBe(true);
    },
    timeout,
  );
});
