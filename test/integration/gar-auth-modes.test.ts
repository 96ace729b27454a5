// Artifact Registry end to end through the operator: projected ServiceAccount tokens verified by
// the STS fake against the control plane's JWKS, impersonation, service-account keys, and refresh
// from Google's own token expiry.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import type { CredentialSource } from "../../src/api/v1alpha1.js";
import { type FakeGoogleCloud, startFakeGoogleCloud } from "../fakes/google/google-cloud.js";
import { makeServiceAccountKey } from "../fakes/google/service-account-key.js";
import { dockerConfigOf, RegistryCredentials, readSecret, registryCredential } from "../support/fixtures.js";
import { adminKubeConfig, controlPlaneIssuer, createNamespace } from "../support/kube.js";
import { startTestOperator } from "../support/test-operator.js";

const timeout = 120_000;
const registries = ["europe-west1-docker.pkg.dev", "gcr.io"];
const audience =
  "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/clusters/providers/test-control-plane";
const reader = "registry-reader@registry-project.iam.gserviceaccount.com";

let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;

beforeAll(() => {
  kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
});

describe("RegistryCredential with the Artifact Registry provider", () => {
  let cloud: FakeGoogleCloud;

  beforeAll(async () => {
    cloud = await startFakeGoogleCloud({
      federation: { audience, ...controlPlaneIssuer(kc) },
      tokenLifetimeSeconds: 30,
    });
  }, timeout);

  afterAll(async () => {
    await cloud?.close();
  });

  async function run(source: CredentialSource, prepare: (namespace: string) => Promise<void>) {
    const namespace = await createNamespace(core, "gar");
    await prepare(namespace);
    const operator = await startTestOperator({
      kc,
      google: cloud.endpoints,
      config: { watchNamespace: namespace },
    });
    const credentials = new RegistryCredentials(kc, namespace);
    await credentials.create(
      registryCredential("pull", { sources: [source], refresh: { minInterval: "10s" } }),
    );
    return { namespace, operator, credentials };
  }

  it.each<[string, CredentialSource, (namespace: string) => Promise<void>, { shortLived: boolean }]>([
    [
      "a projected ServiceAccount token exchanged at STS (workload identity federation)",
      { gar: { registries, auth: { serviceAccountRef: { name: "puller", audience } } } },
      async (namespace) => {
        await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "puller" } } });
      },
      { shortLived: true },
    ],
    [
      "federation, then impersonation of a registry reader",
      {
        gar: {
          registries,
          auth: { serviceAccountRef: { name: "puller", audience } },
          impersonate: { serviceAccount: reader },
        },
      },
      async (namespace) => {
        await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "puller" } } });
        cloud.iam.allow(cloud.sts?.principalOf(`system:serviceaccount:${namespace}:puller`) ?? "", reader);
      },
      // generateAccessToken issues the one-hour lifetime the provider asks for.
      { shortLived: false },
    ],
    [
      "a service-account key from a Secret (JWT-bearer grant, signature verified)",
      { gar: { registries, auth: { secretRef: { name: "gcp-key" } } } },
      async (namespace) => {
        const key = makeServiceAccountKey({ tokenUri: cloud.oauth.tokenUrl });
        cloud.oauth.registerKey(key.clientEmail, key.publicKey);
        await core.createNamespacedSecret({
          namespace,
          body: { metadata: { name: "gcp-key" }, stringData: { "credentials.json": key.text } },
        });
      },
      { shortLived: true },
    ],
  ])(
    "writes oauth2accesstoken logins for every host through %s, scheduled from Google's expiry",
    async (_mode, source, prepare, { shortLived }) => {
      const { namespace, operator, credentials } = await run(source, prepare);
      try {
        const first = await credentials.waitForReady("pull");
        const config = dockerConfigOf((await readSecret(core, namespace, "pull")) as k8s.V1Secret);
        expect(Object.keys(config.auths).sort()).toEqual([...registries].sort());
        const password = config.auths[registries[0] as string]?.password ?? "";
        for (const host of registries) expect(config.auths[host]?.username).toBe("oauth2accesstoken");
        const issued = cloud.ledger.lookup(password);
        expect(issued).toBeDefined();
        // The expiry Google reported (expires_in or expireTime), not a fixed timer.
        const reported = new Date(first.status?.expiresAt as string).getTime();
        expect(Math.abs(reported - (issued?.expiresAt.getTime() ?? 0))).toBeLessThan(1000);
        if (!shortLived) return;

        const renewed = await credentials.waitForReady(
          "pull",
          (ready, rc) =>
            ready.status === "True" && rc.status?.lastRefreshTime !== first.status?.lastRefreshTime,
          40_000,
        );
        expect(
          new Date(renewed.status?.lastRefreshTime as string) < new Date(first.status?.expiresAt as string),
        ).toBe(true);
      } finally {
        await operator.stop();
      }
    },
    timeout,
  );

  it(
    "reports a token the STS rejects (wrong audience) without touching anything",
    async () => {
      const wrong =
        "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/clusters/providers/someone-else";
      const { namespace, operator, credentials } = await run(
        { gar: { registries, auth: { serviceAccountRef: { name: "puller", audience: wrong } } } },
        async (ns) => {
          await core.createNamespacedServiceAccount({
            namespace: ns,
            body: { metadata: { name: "puller" } },
          });
        },
      );
      try {
        const rc = await credentials.waitForReady("pull", (ready) => ready.status === "False");
        const ready = rc.status?.conditions?.find((c) => c.type === "Ready");
        expect(ready?.reason).toBe("ProviderError");
        expect(ready?.message).toContain("spec.sources[0] (gar europe-west1-docker.pkg.dev,gcr.io)");
        expect(await readSecret(core, namespace, "pull")).toBeUndefined();
        expect(cloud.sts?.rejections).toBeGreaterThan(0);
      } finally {
        await operator.stop();
      }
    },
    timeout,
  );
});
