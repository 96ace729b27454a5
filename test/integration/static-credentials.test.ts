// Static credentials against the real control plane: a ClusterRegistryCredential merging an ECR
// login (moto, through the real AWS SDK), an ACR login (the Entra and ACR fakes, through the real
// @azure/identity) and a static Docker Hub credential into one Secret in every selected namespace,
// and the refusals that keep static sources safe to combine.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import type { ClusterRegistryCredential, CredentialSource } from "../../src/api/v1alpha1.js";
import { type FakeAzureCloud, startFakeAzureCloud } from "../fakes/azure/azure-cloud.js";
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
const azureSecret = uniqueName("azure-app");
const acrHost = "contoso.azurecr.io";
const azureApp = {
  tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
  clientId: "6d2f1a90-0000-4000-8000-0000000000c1",
  principalId: "p-platform",
  secret: "an-entra-client-secret-of-the-platform-team",
};

let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let moto: Moto;
let azure: FakeAzureCloud;
let operator: TestOperator;
let clusterCredentials: ClusterRegistryCredentials;

const readyOf = (crc: ClusterRegistryCredential) => crc.status?.conditions?.find((c) => c.type === "Ready");
const ecrSource: CredentialSource = {
  ecr: { region: "us-east-1", auth: { secretRef: { name: awsSecret } } },
};
const hubSource: CredentialSource = { basic: { registries: ["docker.io"], secretRef: { name: hubSecret } } };
const acrSource: CredentialSource = {
  acr: {
    registries: [acrHost],
    auth: { secretRef: { name: azureSecret, tenantId: azureApp.tenantId, clientId: azureApp.clientId } },
  },
};

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
  await core.createNamespacedSecret({
    namespace: operatorNamespace,
    body: { metadata: { name: azureSecret }, stringData: { AZURE_CLIENT_SECRET: azureApp.secret } },
  });
  moto = await startMoto();
  azure = await startFakeAzureCloud({
    applications: [azureApp],
    registries: [{ name: acrHost, tenantId: azureApp.tenantId, pullers: [azureApp.principalId] }],
  });
  operator = await startTestOperator({
    kc,
    aws: { ecrEndpoint: moto.endpoint, stsEndpoint: moto.endpoint },
    azure: azure.options,
    config: { operatorNamespace },
  });
}, timeout);

afterAll(async () => {
  await operator?.stop();
  await moto?.stop();
  await azure?.close();
  for (const name of [hubSecret, awsSecret, azureSecret])
    await core?.deleteNamespacedSecret({ namespace: operatorNamespace, name }).catch(() => {});
});

describe("a ClusterRegistryCredential with ECR, ACR and static Docker Hub sources", () => {
  it(
    "writes one Secret with all three hosts into every selected namespace",
    async () => {
      const team = uniqueName("static");
      const selected = await Promise.all([1, 2].map(() => createNamespace(core, "static", { team })));
      const name = uniqueName("merged");
      await clusterCredentials.create(
        clusterRegistryCredential(name, {
          sources: [ecrSource, acrSource, hubSource],
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
        expect(hosts).toHaveLength(3);
        expect(hosts[0]).toMatch(/^\d{12}\.dkr\.ecr\.us-east-1\.amazonaws\.com$/);
        expect(hosts.slice(1)).toEqual([acrHost, "docker.io"]);
        expect(auths["docker.io"]).toMatchObject(hub);
        expect(auths[acrHost]?.username).toBe("00000000-0000-0000-0000-000000000000");
      }
      expect(JSON.stringify(crc.status)).not.toContain(hub.password);
      // Minted once for both namespaces: one Entra token, one exchange.
      expect(azure.entra.grants).toHaveLength(1);
      expect(azure.registries[0]?.exchanges).toHaveLength(1);
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
