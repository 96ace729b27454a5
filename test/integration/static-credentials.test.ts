// Static credentials against the real control plane: a ClusterRegistryCredential merging an ECR
// login (moto, through the real AWS SDK) with a static Docker Hub credential into one Secret in
// every selected namespace, and the refusals that keep static sources safe to combine.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import type { ClusterRegistryCredential, CredentialSource } from "../../src/api/v1alpha1.js";
import {
  awsKeysSecret,
  ClusterRegistryCredentials,
  clusterRegistryCredential,
  dockerConfigOf,
  RegistryCredentials,
  readSecret,
  registryCredential,
} from "../support/fixtures.js";
import { adminKubeConfig, createNamespace, uniqueName } from "../support/kube.js";
import { recordIssued } from "../support/leaks/ledger.js";
import { type Moto, startMoto } from "../support/moto.js";
import { startTestOperator, type TestOperator } from "../support/test-operator.js";

const timeout = 120_000;
const operatorNamespace = "regcred-system";
const hubSecret = uniqueName("hub");
const awsSecret = uniqueName("aws-keys");
const hub = { username: "platform-bot", password: "dckr_pat_integration_0123456789abcdef" };

let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let moto: Moto;
let operator: TestOperator;
let clusterCredentials: ClusterRegistryCredentials;

const readyOf = (crc: ClusterRegistryCredential) => crc.status?.conditions?.find((c) => c.type === "Ready");
const ecrSource: CredentialSource = {
  ecr: { region: "us-east-1", auth: { secretRef: { name: awsSecret } } },
};
const hubSource: CredentialSource = { basic: { registries: ["docker.io"], secretRef: { name: hubSecret } } };

async function ensureNamespace(name: string): Promise<void> {
  try {
    await core.createNamespace({ body: { metadata: { name } } });
  } catch (error) {
    if (!(error instanceof k8s.ApiException) || error.code !== 409) throw error;
  }
}

beforeAll(async () => {
  recordIssued("the static Docker Hub token of the static-credentials integration test", hub.password);
  kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  clusterCredentials = new ClusterRegistryCredentials(kc);
  await ensureNamespace(operatorNamespace);
  await core.createNamespacedSecret({ namespace: operatorNamespace, body: awsKeysSecret(awsSecret) });
  await core.createNamespacedSecret({
    namespace: operatorNamespace,
    body: { metadata: { name: hubSecret }, stringData: hub },
  });
  moto = await startMoto();
  operator = await startTestOperator({
    kc,
    aws: { ecrEndpoint: moto.endpoint, stsEndpoint: moto.endpoint },
    config: { operatorNamespace },
  });
}, timeout);

afterAll(async () => {
  await operator?.stop();
  await moto?.stop();
  for (const name of [hubSecret, awsSecret])
    await core?.deleteNamespacedSecret({ namespace: operatorNamespace, name }).catch(() => {});
});

describe("a ClusterRegistryCredential with an ECR source and a static Docker Hub source", () => {
  it(
    "writes one Secret with both hosts into every selected namespace",
    async () => {
      const team = uniqueName("static");
      const selected = await Promise.all([1, 2].map(() => createNamespace(core, "static", { team })));
      const name = uniqueName("merged");
      await clusterCredentials.create(
        clusterRegistryCredential(name, {
          sources: [ecrSource, hubSource],
          namespaces: { selector: { matchLabels: { team } } },
        }),
      );
      const crc = await clusterCredentials.waitFor(name, (c) => readyOf(c)?.status === "True");
      expect(crc.status?.namespaces).toMatchObject({ targeted: 2, inSync: 2, failed: 0 });
      for (const namespace of selected) {
        const secret = (await readSecret(core, namespace, name)) as k8s.V1Secret;
        expect(secret.type).toBe("kubernetes.io/dockerconfigjson");
        const { auths } = dockerConfigOf(secret);
        const hosts = Object.keys(auths).sort();
        expect(hosts).toHaveLength(2);
        expect(hosts[0]).toMatch(/^\d{12}\.dkr\.ecr\.us-east-1\.amazonaws\.com$/);
        expect(hosts[1]).toBe("docker.io");
        expect(auths["docker.io"]).toMatchObject(hub);
      }
      expect(JSON.stringify(crc.status)).not.toContain(hub.password);
      await clusterCredentials.delete(name);
    },
    timeout,
  );
});

describe("static sources are refused", () => {
  it(
    "when a dockerConfig source points at a Secret this operator manages, which stays as it was",
    async () => {
      const namespace = await createNamespace(core, "static-cycle");
      await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys") });
      const credentials = new RegistryCredentials(kc, namespace);
      await credentials.create(
        registryCredential("ecr", {
          sources: [{ ecr: { region: "us-east-1", auth: { secretRef: { name: "aws-keys" } } } }],
        }),
      );
      await credentials.waitForReady("ecr");
      const managed = await readSecret(core, namespace, "ecr");
      await credentials.create(
        registryCredential("copy", { sources: [{ dockerConfig: { secretRef: { name: "ecr" } } }] }),
      );
      const rc = await credentials.waitForReady("copy", (ready) => ready.status === "False");
      const ready = rc.status?.conditions?.find((c) => c.type === "Ready");
      expect(ready?.reason).toBe("InvalidSpec");
      expect(ready?.message).toContain(
        `Secret ${namespace}/ecr is written by registry-credential-operator for RegistryCredential/${namespace}/ecr`,
      );
      expect(await readSecret(core, namespace, "copy")).toBeUndefined();
      expect((await readSecret(core, namespace, "ecr"))?.data).toEqual(managed?.data);
    },
    timeout,
  );

  it(
    "when two sources write the same registry, Docker Hub's two names included",
    async () => {
      const namespace = await createNamespace(core, "static-dup");
      const name = uniqueName("dup");
      await clusterCredentials.create(
        clusterRegistryCredential(name, {
          sources: [
            hubSource,
            { dockerConfig: { secretRef: { name: "legacy" }, hosts: ["index.docker.io"] } },
          ],
          namespaces: { names: [namespace] },
        }),
      );
      const crc = await clusterCredentials.waitFor(name, (c) => readyOf(c)?.status === "False");
      expect(readyOf(crc)?.reason).toBe("InvalidSpec");
      expect(readyOf(crc)?.message).toContain(
        "spec.sources[1] writes registry host index.docker.io, as spec.sources[0] does (as docker.io, the same registry)",
      );
      expect(await readSecret(core, namespace, name)).toBeUndefined();
      await clusterCredentials.delete(name);
    },
    timeout,
  );

  it(
    "as Forbidden when a ClusterRegistryCredential reads a Secret outside the namespaces the operator allows",
    async () => {
      const tenant = await createNamespace(core, "static-tenant");
      await core.createNamespacedSecret({
        namespace: tenant,
        body: { metadata: { name: "hub" }, stringData: hub },
      });
      const name = uniqueName("forbidden");
      await clusterCredentials.create(
        clusterRegistryCredential(name, {
          sources: [{ basic: { registries: ["docker.io"], secretRef: { name: "hub", namespace: tenant } } }],
          namespaces: { names: [tenant] },
        }),
      );
      const crc = await clusterCredentials.waitFor(name, (c) => readyOf(c)?.status === "False");
      expect(readyOf(crc)?.reason).toBe("Forbidden");
      expect(readyOf(crc)?.message).toContain(`Secret ${tenant}/hub may not be read`);
      expect(readyOf(crc)?.message).toContain("--credential-secret-namespaces");
      expect(await readSecret(core, tenant, name)).toBeUndefined();
      await clusterCredentials.delete(name);
    },
    timeout,
  );
});
