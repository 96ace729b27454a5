// Builders shared by the gar provider unit tests.
import type { GarSource } from "../../../../src/api/v1alpha1.js";
import { CredentialError } from "../../../../src/providers/errors.js";
import {
  createGarProvider,
  defaultGoogleClientFactories,
  type GoogleClientFactories,
} from "../../../../src/providers/gar/provider.js";
import type { Provider } from "../../../../src/providers/provider.js";
import { type FakeGoogleCloud, startFakeGoogleCloud } from "../../../fakes/google/google-cloud.js";
import { FakeOidcIssuer } from "../../../fakes/google/oidc-issuer.js";
import {
  makeServiceAccountKey,
  type ServiceAccountKeyFile,
} from "../../../fakes/google/service-account-key.js";
import { FederatedSourceAccess } from "../../../fakes/kube/federated-source-access.js";

export const registry = "europe-west1-docker.pkg.dev";
export const poolAudience =
  "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/tenants/providers/cluster";
export const targetAccount = "puller@registry-project.iam.gserviceaccount.com";

/** A GarSource with `registries` defaulted to one Artifact Registry host. */
export function garSpec(overrides: Partial<GarSource> = {}): GarSource {
  return { registries: [registry], ...overrides };
}

export function secretSpec(name = "gcp-key", overrides: Partial<GarSource> = {}): GarSource {
  return garSpec({ auth: { secretRef: { name } }, ...overrides });
}

/**
 * The fakes, a provider wired to them, a FakeSourceAccess, and an OIDC issuer that signs the
 * ServiceAccount tokens the access hands out. Close it after each test.
 */
export interface GarWorld {
  cloud: FakeGoogleCloud;
  issuer: FakeOidcIssuer;
  access: FederatedSourceAccess;
  factories: GoogleClientFactories;
  provider: Provider<GarSource>;
  /** A key registered with the OAuth fake, stored in Secret "gcp-key". */
  key: ServiceAccountKeyFile;
  close(): Promise<void>;
}

export async function startGarWorld({ ambientIdentityAllowed = true } = {}): Promise<GarWorld> {
  const issuer = await new FakeOidcIssuer().start();
  const cloud = await startFakeGoogleCloud({ federation: { audience: poolAudience, issuer: issuer.issuer } });
  const factories = defaultGoogleClientFactories(cloud.endpoints);
  const key = makeServiceAccountKey({ tokenUri: cloud.oauth.tokenUrl });
  cloud.oauth.registerKey(key.clientEmail, key.publicKey);
  const access = new FederatedSourceAccess(issuer, "tenant-a", ambientIdentityAllowed);
  access.putSecret("gcp-key", { "credentials.json": key.text });
  return {
    cloud,
    issuer,
    access,
    factories,
    provider: createGarProvider(factories),
    key,
    close: async () => {
      await Promise.all([cloud.close(), issuer.close()]);
    },
  };
}

/** Runs `test` against a fresh world and closes it afterwards. */
export function withWorld(
  test: (world: GarWorld) => Promise<void>,
  options?: { ambientIdentityAllowed?: boolean },
) {
  return async () => {
    const world = await startGarWorld(options);
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

/** Resolves and mints in one step. */
export async function mint(world: GarWorld, spec: GarSource) {
  return (await world.provider.resolve(spec, world.access)).mint();
}

/** Sets environment variables for the duration of `run`, then restores the previous values. */
export async function withEnvironment<T>(
  variables: Record<string, string | undefined>,
  run: () => Promise<T>,
): Promise<T> {
  const saved = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(variables);
  try {
    return await run();
  } finally {
    apply(saved);
  }
}
