// The gar provider against the real control plane and the Google fakes: real TokenRequest tokens
// exchanged at an STS fake that verifies them through the control plane's OIDC discovery and JWKS.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { decodeJwt } from "jose";
import type { GarSource } from "../../../src/api/v1alpha1.js";
import { KubeSourceAccess } from "../../../src/controller/credential/source-access.js";
import { CredentialError } from "../../../src/providers/errors.js";
import { createGarProvider, defaultGoogleClientFactories } from "../../../src/providers/gar/provider.js";
import type { Provider, SourceAccess } from "../../../src/providers/provider.js";
import { type FakeGoogleCloud, startFakeGoogleCloud } from "../../fakes/google/google-cloud.js";
import { makeServiceAccountKey } from "../../fakes/google/service-account-key.js";
import { adminKubeConfig, createNamespace } from "../../support/kube.js";

const timeout = 60_000;
const registries = ["europe-west1-docker.pkg.dev", "gcr.io"];
const poolAudience =
  "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/clusters/providers/test-control-plane";
const otherAudience =
  "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/clusters/providers/another-cluster";
const target = "registry-reader@registry-project.iam.gserviceaccount.com";
const tokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";

/** The control plane's URL (its ServiceAccount issuer) and CA, from the admin kubeconfig. */
function controlPlane(kc: k8s.KubeConfig): { issuer: string; ca: string } {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("admin kubeconfig has no current cluster");
  const ca = cluster.caData
    ? Buffer.from(cluster.caData, "base64").toString("utf8")
    : readFileSync(cluster.caFile ?? "", "utf8");
  return { issuer: cluster.server, ca };
}

async function rejection(promise: Promise<unknown>): Promise<CredentialError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CredentialError) return error;
    throw error;
  }
  throw new Error("expected a CredentialError, but the call succeeded");
}

/** Sets environment variables while `run` runs, then restores them. */
async function withEnvironment<T>(
  variables: Record<string, string | undefined>,
  run: () => Promise<T>,
): Promise<T> {
  const saved = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values))
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
  };
  apply(variables);
  try {
    return await run();
  } finally {
    apply(saved);
  }
}

describe("the gar provider against the test control plane and the Google fakes", () => {
  let core: k8s.CoreV1Api;
  let namespace: string;
  let cloud: FakeGoogleCloud;
  let provider: Provider<GarSource>;
  let access: KubeSourceAccess;
  let issuer: string;
  const subject = () => `system:serviceaccount:${namespace}:puller`;
  const principal = () => cloud.sts?.principalOf(subject()) ?? "";
  const federated = (audience = poolAudience, extra: Partial<GarSource> = {}): GarSource => ({
    registries,
    auth: { serviceAccountRef: { name: "puller", audience } },
    ...extra,
  });
  const mint = async (spec: GarSource, by: SourceAccess = access) =>
    (await provider.resolve(spec, by)).mint();

  beforeAll(async () => {
    const kc = adminKubeConfig();
    core = kc.makeApiClient(k8s.CoreV1Api);
    const plane = controlPlane(kc);
    issuer = plane.issuer;
    cloud = await startFakeGoogleCloud({ federation: { audience: poolAudience, ...plane } });
    provider = createGarProvider(defaultGoogleClientFactories(cloud.endpoints));
    namespace = await createNamespace(core, "gar");
    access = new KubeSourceAccess(core, namespace, {
      ambientIdentityAllowed: false,
      ambientAccessTokenAllowed: false,
    });
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "puller" } } });
  }, timeout);

  afterAll(async () => {
    await cloud?.close();
  });

  it(
    "exchanges a real TokenRequest token, verified through the control plane's OIDC discovery and JWKS",
    async () => {
      const fetchesBefore = cloud.sts?.keyFetches ?? 0;
      const tokens = await mint(federated());
      expect(tokens.map((t) => [t.host, t.username])).toEqual(
        registries.map((host) => [host, "oauth2accesstoken"]),
      );
      const record = cloud.ledger.lookup(tokens[0]?.password ?? "");
      expect(record).toMatchObject({ issuer: "sts", principal: principal() });
      expect(tokens[0]?.expiresAt?.getTime()).toBeGreaterThan(Date.now());
      expect(cloud.sts?.keyFetches).toBe(fetchesBefore + 1);
    },
    timeout,
  );

  it(
    "reports an audience the STS does not serve as a ProviderError",
    async () => {
      const error = await rejection(mint(federated(otherAudience)));
      expect(error.reason).toBe("ProviderError");
      expect(error.message).toContain("invalid_target");
    },
    timeout,
  );

  /** Swaps one character in the middle of the signature, keeping the token well-formed. */
  const tamper = (token: string) => {
    const at = token.length - 10;
    return `${token.slice(0, at)}${token[at] === "A" ? "B" : "A"}${token.slice(at + 1)}`;
  };

  it.each<[string, string, (token: string) => string, string]>([
    [
      "a control-plane token minted for another audience",
      otherAudience,
      (token) => token,
      'unexpected "aud" claim value',
    ],
    [
      "a control-plane token with a tampered signature",
      poolAudience,
      tamper,
      "signature verification failed",
    ],
  ])(
    "has an STS fake that refuses %s",
    async (_name, audience, alter, expected) => {
      const token = alter(await access.requestServiceAccountToken("puller", audience, 600));
      expect(decodeJwt(token).iss).toBe(issuer);
      const response = await fetch(cloud.sts?.tokenUrl ?? "", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: tokenExchange,
          audience: poolAudience,
          scope: "https://www.googleapis.com/auth/cloud-platform",
          requested_token_type: "urn:ietf:params:oauth:token-type:access_token",
          subject_token: token,
          subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
        }).toString(),
      });
      const body = (await response.json()) as { error?: string; error_description?: string };
      expect(response.status).toBe(400);
      expect(body.error).toBe("invalid_grant");
      expect(body.error_description).toContain(expected);
    },
    timeout,
  );

  it(
    "impersonates a service account the federated principal may impersonate",
    async () => {
      cloud.iam.allow(principal(), target);
      const tokens = await mint(federated(poolAudience, { impersonate: { serviceAccount: target } }));
      const record = cloud.ledger.lookup(tokens[0]?.password ?? "");
      expect(record).toMatchObject({ issuer: "iamcredentials", principal: target });
      expect(tokens[0]?.expiresAt?.toISOString()).toBe(record?.expiresAt.toISOString());
    },
    timeout,
  );

  it(
    "reports impersonation the federated principal is not allowed as a ProviderError",
    async () => {
      const other = "someone-else@registry-project.iam.gserviceaccount.com";
      const error = await rejection(
        mint(federated(poolAudience, { impersonate: { serviceAccount: other } })),
      );
      expect(error.reason).toBe("ProviderError");
      expect(error.message).toContain("HTTP 403: PERMISSION_DENIED");
    },
    timeout,
  );

  it(
    "mints with a service-account key read from a real Secret",
    async () => {
      const key = makeServiceAccountKey({ tokenUri: cloud.oauth.tokenUrl });
      cloud.oauth.registerKey(key.clientEmail, key.publicKey);
      await core.createNamespacedSecret({
        namespace,
        body: { metadata: { name: "gcp-key" }, stringData: { "credentials.json": key.text } },
      });
      const resolved = await provider.resolve(
        { registries, auth: { secretRef: { name: "gcp-key" } } },
        access,
      );
      const tokens = await resolved.mint();
      expect(cloud.ledger.lookup(tokens[0]?.password ?? "")?.principal).toBe(key.clientEmail);
      expect(resolved.identity).toMatch(
        new RegExp(`^gar\\|europe-west1-docker.pkg.dev,gcr.io\\|secret:${namespace}/gcp-key@`),
      );
    },
    timeout,
  );

  it(
    "reports a ServiceAccount that does not exist as AuthSecretMissing",
    async () => {
      const spec: GarSource = {
        registries,
        auth: { serviceAccountRef: { name: "nobody", audience: poolAudience } },
      };
      const error = await rejection(provider.resolve(spec, access));
      expect(error.reason).toBe("AuthSecretMissing");
    },
    timeout,
  );

  it(
    "mints with the operator's ambient identity from the metadata server where policy allows it",
    async () => {
      const ambientAccess = new KubeSourceAccess(core, namespace, {
        ambientIdentityAllowed: true,
        ambientAccessTokenAllowed: true,
      });
      const tokens = await withEnvironment(
        {
          ...cloud.metadata.environment(),
          GCE_METADATA_IP: undefined,
          GOOGLE_APPLICATION_CREDENTIALS: undefined,
          // Known project: google-auth-library would otherwise run a local gcloud to look for one.
          GOOGLE_CLOUD_PROJECT: "fake-project",
        },
        () => mint({ registries }, ambientAccess),
      );
      expect(cloud.ledger.lookup(tokens[0]?.password ?? "")).toMatchObject({
        issuer: "metadata",
        principal: cloud.metadata.email,
      });
      const forbidden = await rejection(provider.resolve({ registries }, access));
      expect(forbidden.reason).toBe("Forbidden");
    },
    timeout,
  );
});
