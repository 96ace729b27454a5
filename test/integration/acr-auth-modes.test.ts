// Azure Container Registry end to end through the operator: the tenant ServiceAccount's projected
// token presented to the Entra fake as a federated assertion (verified against the control
// plane's JWKS), exchanged at the ACR fake, refreshed from the token's own expiry; and the host
// allow-list, which keeps every Entra token away from a registry it does not list.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { decodeJwt } from "jose";
import type { CredentialSource } from "../../src/api/v1alpha1.js";
import { type FakeAzureCloud, startFakeAzureCloud } from "../fakes/azure/azure-cloud.js";
import { dockerConfigOf, RegistryCredentials, readSecret, registryCredential } from "../support/fixtures.js";
import { adminKubeConfig, controlPlaneIssuer, createNamespace } from "../support/kube.js";
import { startTestOperator } from "../support/test-operator.js";

const timeout = 120_000;
const tenantId = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const registry = "contoso.azurecr.io";
const secretApp = {
  clientId: "6d2f1a90-0000-4000-8000-00000000000a",
  principalId: "p-secret",
  secret: "an-entra-client-secret-for-tests",
};
/** ACR refresh tokens measured at 75 minutes: the schedule must follow the token, not a 3-hour belief. */
const refreshTokenLifetimeSeconds = 75 * 60;

let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let cloud: FakeAzureCloud;

beforeAll(async () => {
  kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  cloud = await startFakeAzureCloud({
    applications: [{ tenantId, ...secretApp }],
    registries: [{ name: registry, tenantId, pullers: [], refreshTokenLifetimeSeconds }],
  });
}, timeout);

afterAll(async () => {
  await cloud?.close();
});

async function run(source: CredentialSource, namespace: string, registryUrls: Record<string, string> = {}) {
  const operator = await startTestOperator({
    kc,
    azure: { ...cloud.options, registryUrls: { ...cloud.options.registryUrls, ...registryUrls } },
    config: { watchNamespace: namespace },
  });
  const credentials = new RegistryCredentials(kc, namespace);
  await credentials.create(registryCredential("pull", { sources: [source] }));
  return { operator, credentials };
}

describe("RegistryCredential with the acr provider", () => {
  it(
    "logs in with the tenant ServiceAccount's federated token and schedules the refresh from the token's own expiry",
    async () => {
      const namespace = await createNamespace(core, "acr");
      const clientId = "6d2f1a90-0000-4000-8000-00000000000b";
      const { issuer, ca } = controlPlaneIssuer(kc);
      cloud.entra.register({
        tenantId,
        clientId,
        principalId: `p-${namespace}`,
        federatedCredentials: [
          {
            issuer,
            issuerCa: ca,
            subject: `system:serviceaccount:${namespace}:puller`,
            audience: "api://AzureADTokenExchange",
          },
        ],
      });
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
      const grantsBefore = cloud.entra.grants.length;
      const { operator, credentials } = await run(
        { acr: { registries: [registry], auth: { serviceAccountRef: { name: "puller" } } } },
        namespace,
      );
      try {
        const rc = await credentials.waitForReady("pull");
        const auth = dockerConfigOf((await readSecret(core, namespace, "pull")) as k8s.V1Secret).auths[
          registry
        ];
        expect(auth?.username).toBe("00000000-0000-0000-0000-000000000000");
        const exp = (decodeJwt(auth?.password ?? "").exp ?? 0) * 1000;
        expect(new Date(rc.status?.expiresAt as string).getTime()).toBe(exp);
        // Renewed well inside the token's 75 minutes, not after a fixed 3-hour belief.
        const next = new Date(rc.status?.nextRefreshTime as string).getTime();
        expect(next).toBeLessThan(exp);
        expect(next - new Date(rc.status?.lastRefreshTime as string).getTime()).toBeLessThan(
          refreshTokenLifetimeSeconds * 1000,
        );
        expect(cloud.entra.grants.slice(grantsBefore)).toEqual([
          { clientId, method: "federated", scope: "https://containerregistry.azure.net/.default" },
        ]);
        expect(cloud.registries[0]?.exchanges.at(-1)).toEqual({
          service: registry,
          tenant: tenantId,
          audience: "https://containerregistry.azure.net",
          accepted: true,
        });
      } finally {
        await operator.stop();
      }
    },
    timeout,
  );

  it(
    "refuses a registry outside the host allow-list in status, and a live listener on that host receives nothing",
    async () => {
      const namespace = await createNamespace(core, "acr-deny");
      await core.createNamespacedSecret({
        namespace,
        body: { metadata: { name: "azure-app" }, stringData: { AZURE_CLIENT_SECRET: secretApp.secret } },
      });
      // A token service that would take any Entra token, reachable under the host the spec names.
      const listener = await cloud.addRegistry({ name: "registry.evil.example", tenantId, pullers: [] });
      const grantsBefore = cloud.entra.grants.length;
      const { operator, credentials } = await run(
        {
          acr: {
            registries: ["registry.evil.example"],
            auth: { secretRef: { name: "azure-app", tenantId, clientId: secretApp.clientId } },
          },
        },
        namespace,
        { "registry.evil.example": listener.url },
      );
      try {
        const rc = await credentials.waitForReady("pull", (ready) => ready.status === "False");
        const ready = rc.status?.conditions?.find((c) => c.type === "Ready");
        expect(ready?.reason).toBe("Forbidden");
        expect(ready?.message).toContain(
          "registry.evil.example is not on the operator's ACR host allow-list",
        );
        expect(listener.received).toBe(0);
        expect(cloud.entra.grants.length).toBe(grantsBefore);
        expect(await readSecret(core, namespace, "pull")).toBeUndefined();
      } finally {
        await operator.stop();
      }
    },
    timeout,
  );
});
