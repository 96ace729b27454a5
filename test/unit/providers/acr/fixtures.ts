// Builders shared by the acr provider unit tests: the Entra and ACR fakes over https, an OIDC
// issuer for federated tokens, and a provider wired to them through the real @azure/identity.
import type { AcrSource } from "../../../../src/api/v1alpha1.js";
import {
  type AzureClientFactories,
  type AzureOptions,
  createAcrProvider,
  defaultAzureClientFactories,
} from "../../../../src/providers/acr/provider.js";
import { CredentialError } from "../../../../src/providers/errors.js";
import type { Provider } from "../../../../src/providers/provider.js";
import { type FakeAzureCloud, startFakeAzureCloud } from "../../../fakes/azure/azure-cloud.js";
import { FakeOidcIssuer } from "../../../fakes/google/oidc-issuer.js";
import { FederatedSourceAccess } from "../../../fakes/kube/federated-source-access.js";
import { createSelfSignedRsaCertificate, type PemKeyPair } from "../../../support/pki.js";

export const tenantId = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const otherTenantId = "11111111-2222-3333-4444-555555555555";
export const registry = "fakeregistry.azurecr.io";
export const secondRegistry = "second.azurecr.io";
/** A registry of another directory than the applications'. */
export const foreignRegistry = "foreign.azurecr.io";
/** Applications of the fake directory, by how they authenticate. */
export const apps = {
  secret: {
    clientId: "0a1b2c3d-0000-4000-8000-000000000001",
    principalId: "p-secret",
    secret: "fake-client-secret-value-1234",
  },
  certificate: { clientId: "0a1b2c3d-0000-4000-8000-000000000002", principalId: "p-certificate" },
  federated: { clientId: "0a1b2c3d-0000-4000-8000-000000000003", principalId: "p-federated" },
  ambient: { clientId: "0a1b2c3d-0000-4000-8000-000000000004", principalId: "p-ambient" },
} as const;
export const federationAudience = "api://AzureADTokenExchange";

export function acrSpec(overrides: Partial<AcrSource> = {}): AcrSource {
  return { registries: [registry], ...overrides };
}

export function secretSpec(name = "azure-app", overrides: Partial<AcrSource> = {}): AcrSource {
  return acrSpec({
    auth: { secretRef: { name, tenantId, clientId: apps.secret.clientId } },
    ...overrides,
  });
}

export function serviceAccountSpec(overrides: Partial<AcrSource> = {}): AcrSource {
  return acrSpec({ auth: { serviceAccountRef: { name: "puller" } }, ...overrides });
}

export interface AcrWorld {
  cloud: FakeAzureCloud;
  issuer: FakeOidcIssuer;
  access: FederatedSourceAccess;
  factories: AzureClientFactories;
  provider: Provider<AcrSource>;
  certificate: PemKeyPair;
  /** A provider whose factories take these options on top of the world's. */
  providerWith(options: Partial<AzureOptions>): Provider<AcrSource>;
  close(): Promise<void>;
}

/**
 * A directory with one application per auth mode, two registries of that tenant where every
 * application may pull, and an access holding Secret "azure-app" (the client secret), Secret
 * "azure-cert" (the certificate) and ServiceAccount "puller" annotated for workload identity.
 */
export async function startAcrWorld({ ambientIdentityAllowed = true } = {}): Promise<AcrWorld> {
  const issuer = await new FakeOidcIssuer().start();
  const certificate = await createSelfSignedRsaCertificate("regcred-test-app");
  const subject = "system:serviceaccount:tenant-a:puller";
  const federated = { issuer: issuer.issuer, subject, audience: federationAudience };
  const cloud = await startFakeAzureCloud({
    applications: [
      { tenantId, ...apps.secret },
      { tenantId, ...apps.certificate, certificatePem: certificate.certPem },
      {
        tenantId,
        ...apps.federated,
        federatedCredentials: [federated, { ...federated, subject: "system:serviceaccount:tenant-a:bare" }],
      },
      {
        tenantId,
        ...apps.ambient,
        federatedCredentials: [{ ...federated, subject: "system:serviceaccount:regcred-system:operator" }],
      },
    ],
    registries: [
      ...[registry, secondRegistry].map((name) => ({ name, tenantId })),
      { name: foreignRegistry, tenantId: otherTenantId },
    ].map((fake) => ({ ...fake, pullers: Object.values(apps).map((app) => app.principalId) })),
  });
  const options = (extra: Partial<AzureOptions> = {}) => ({ ...cloud.options, ...extra });
  const factories = defaultAzureClientFactories(options());
  const access = new FederatedSourceAccess(issuer, "tenant-a", ambientIdentityAllowed);
  access.putSecret("azure-app", { AZURE_CLIENT_SECRET: apps.secret.secret });
  access.putSecret("azure-cert", { AZURE_CLIENT_CERTIFICATE: `${certificate.certPem}${certificate.keyPem}` });
  access.putServiceAccount("puller", {
    "azure.workload.identity/client-id": apps.federated.clientId,
    "azure.workload.identity/tenant-id": tenantId,
  });
  access.putServiceAccount("bare");
  return {
    cloud,
    issuer,
    access,
    factories,
    provider: createAcrProvider(factories),
    certificate,
    providerWith: (extra) => createAcrProvider(defaultAzureClientFactories(options(extra))),
    close: async () => {
      await Promise.all([cloud.close(), issuer.close()]);
    },
  };
}

/** Runs `test` against a fresh world and closes it afterwards. */
export function withWorld(
  test: (world: AcrWorld) => Promise<void>,
  options?: { ambientIdentityAllowed?: boolean },
) {
  return async () => {
    const world = await startAcrWorld(options);
    try {
      await test(world);
    } finally {
      await world.close();
    }
  };
}

/** The CredentialError a promise rejects with; fails when it resolves or rejects otherwise. */
export async function credentialErrorOf(promise: Promise<unknown>): Promise<CredentialError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CredentialError) return error;
    throw error;
  }
  throw new Error("expected a CredentialError, but the call succeeded");
}

/** Resolves and mints in one step, with the world's provider unless another is given. */
export async function mint(world: AcrWorld, spec: AcrSource, provider = world.provider) {
  return (await provider.resolve(spec, world.access)).mint();
}
