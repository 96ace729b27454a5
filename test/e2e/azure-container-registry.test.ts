// Azure Container Registry on a real node: the operator exchanges a federated Entra token (the
// tenant ServiceAccount's, verified by the Entra fake against the control plane's JWKS) at an
// ACR-like login server: the ACR token service fake in front of CNCF distribution in token-auth
// mode, which verifies the fake's tokens itself. Pods pull through the Bearer challenge as
// containerd does it against ACR: its password grant refused with 400, then Basic auth with the
// ACR user name and the refresh token the Secret holds.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { decodeJwt } from "jose";
import { type FakeAzureCloud, startFakeAzureCloud } from "../fakes/azure/azure-cloud.js";
import { ensureControlPlaneBinary } from "../support/controlplane/build.js";
import { dockerConfigOf, RegistryCredentials, readSecret, registryCredential } from "../support/fixtures.js";
import { testEnvironmentKeys } from "../support/jest/environment.js";
import { adminKubeConfig, controlPlaneIssuer, createNamespace } from "../support/kube.js";
import { pauseImageSpec } from "../support/node/pause-image.js";
import { type KubeNode, startNode } from "../support/node/start-node.js";
import { type Registry, startTokenAuthRegistry } from "../support/registry.js";
import { startTestOperator, type TestOperator } from "../support/test-operator.js";
import { pullOutcome } from "./support/ecr-world.js";

const timeout = 240_000;
const acrHost = "contoso.azurecr.io";
const image = `${acrHost}/team/app:1`;
const tenantId = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const clientId = "6d2f1a90-0000-4000-8000-0000000000e2";
const principalId = "p-e2e-puller";

let core: k8s.CoreV1Api;
let node: KubeNode;
let cloud: FakeAzureCloud;
let registry: Registry;
let operator: TestOperator;
let namespace: string;
let scratch: string;

beforeAll(async () => {
  const kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  node = await startNode({
    kubeconfigPath: process.env[testEnvironmentKeys.kubeconfig] as string,
    controlPlaneBinary: await ensureControlPlaneBinary(),
  });
  namespace = await createNamespace(core, "acr");
  scratch = mkdtempSync(join(tmpdir(), "regcred-e2e-acr-"));
  const { issuer, ca } = controlPlaneIssuer(kc);
  cloud = await startFakeAzureCloud({
    applications: [
      {
        tenantId,
        clientId,
        principalId,
        federatedCredentials: [
          {
            issuer,
            issuerCa: ca,
            subject: `system:serviceaccount:${namespace}:puller`,
            audience: "api://AzureADTokenExchange",
          },
        ],
      },
    ],
    registries: [{ name: acrHost, tenantId, pullers: [principalId] }],
  });
  const front = cloud.registries[0];
  if (!front) throw new Error("no registry fake");
  registry = await startTokenAuthRegistry(
    {
      realm: `${front.url}/oauth2/token`,
      service: acrHost,
      issuer: "Azure Container Registry",
      jwks: await front.jwks(),
    },
    pauseImageSpec(scratch),
    "team/app:1",
  );
  front.proxyTo(registry.host);
  const caFile = join(scratch, "fake-azure-ca.crt");
  writeFileSync(caFile, cloud.ca);
  // The same port inside the node: the challenge's realm must work for containerd and the operator.
  await node.mirror(acrHost, new URL(front.url).host, { caFile, samePort: true });
  await core.createNamespacedServiceAccount({
    namespace,
    body: {
      metadata: {
        name: "puller",
        annotations: {
          "azure.workload.identity/client-id": clientId,
          "azure.workload.identity/tenant-id": tenantId,
        },
      },
    },
  });
  operator = await startTestOperator({ kc, azure: cloud.options, config: { watchNamespace: namespace } });
  const credentials = new RegistryCredentials(kc, namespace);
  const acr = { registries: [acrHost], auth: { serviceAccountRef: { name: "puller" } } };
  await credentials.create(registryCredential("pull", { sources: [{ acr }] }));
  await credentials.create(
    registryCredential("checked", { sources: [{ acr: { ...acr, repositories: ["team/app"] } }] }),
  );
  await credentials.waitForReady("pull");
  await credentials.waitForReady("checked");
}, timeout);

afterAll(async () => {
  await operator?.stop();
  await registry?.stop();
  await cloud?.close();
  await node?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}, timeout);

function pod(name: string, pullSecret?: string): k8s.V1Pod {
  return {
    metadata: { name },
    spec: {
      automountServiceAccountToken: false,
      ...(pullSecret ? { imagePullSecrets: [{ name: pullSecret }] } : {}),
      containers: [{ name: "app", image, imagePullPolicy: "Always" }],
    },
  };
}

async function loginIn(secret: string) {
  return dockerConfigOf((await readSecret(core, namespace, secret)) as k8s.V1Secret).auths[acrHost];
}

describe("Azure Container Registry pulls on a real node", () => {
  it(
    "a pod pulls with the operator's refresh token through the Bearer challenge, and is refused without it",
    async () => {
      const scopesBefore = cloud.registries[0]?.grantedScopes.length ?? 0;
      await core.createNamespacedPod({ namespace, body: pod("with-secret", "pull") });
      await core.createNamespacedPod({ namespace, body: pod("without-secret") });
      expect(await pullOutcome(core, namespace, "with-secret")).toEqual({ state: "running" });
      expect((await pullOutcome(core, namespace, "without-secret")).state).toBe("refused");
      // containerd fetched a pull token for the image's repository from the token service.
      expect(cloud.registries[0]?.grantedScopes.slice(scopesBefore)).toContainEqual([
        "repository:team/app:pull",
      ]);
      const login = await loginIn("pull");
      expect(login?.username).toBe("00000000-0000-0000-0000-000000000000");
      expect(decodeJwt(login?.password ?? "").grant_type).toBe("refresh_token");
    },
    timeout,
  );

  it(
    "a credential that checks its repositories writes the same kind of login, and pods pull with it",
    async () => {
      const login = await loginIn("checked");
      expect(decodeJwt(login?.password ?? "").grant_type).toBe("refresh_token");
      await core.createNamespacedPod({ namespace, body: pod("checked", "checked") });
      expect(await pullOutcome(core, namespace, "checked")).toEqual({ state: "running" });
    },
    timeout,
  );
});
