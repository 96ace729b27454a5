// The acr provider's auth modes, refusals and token scopes, over https to the Entra and ACR fakes
// through the real @azure/identity.

import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "@jest/globals";
import { decodeJwt } from "jose";
import type { AcrSource } from "../../../../src/api/v1alpha1.js";
import { acrLogin } from "../../../../src/providers/acr/exchange.js";
import type { AzureOptions } from "../../../../src/providers/acr/provider.js";
import { CredentialError } from "../../../../src/providers/errors.js";
import type { Provider } from "../../../../src/providers/provider.js";
import {
  type AcrWorld,
  acrSpec,
  apps,
  credentialErrorOf,
  federationAudience,
  foreignRegistry,
  mint,
  registry,
  secretSpec,
  serviceAccountSpec,
  tenantId,
  withWorld,
} from "./fixtures.js";

const registryScope = "https://containerregistry.azure.net/.default";

/** The operator's own workload identity: a projected token file and the webhook's variables. */
async function ambientOptions(world: AcrWorld, directory: string): Promise<Partial<AzureOptions>> {
  const tokenFile = join(directory, "azure-identity-token");
  writeFileSync(
    tokenFile,
    await world.issuer.sign({
      sub: "system:serviceaccount:regcred-system:operator",
      aud: federationAudience,
    }),
  );
  return {
    environment: {
      AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      AZURE_CLIENT_ID: apps.ambient.clientId,
      AZURE_TENANT_ID: tenantId,
    },
  };
}

describe("the acr provider logs in", () => {
  it.each<[string, AcrSource, "secret" | "certificate" | "federated", string, boolean]>([
    ["with a client secret read from a Secret", secretSpec(), "secret", apps.secret.clientId, false],
    [
      "with a certificate read from a Secret",
      acrSpec({ auth: { secretRef: { name: "azure-cert", tenantId, clientId: apps.certificate.clientId } } }),
      "certificate",
      apps.certificate.clientId,
      false,
    ],
    [
      "with the tenant ServiceAccount's token as a federated assertion, IDs from its annotations",
      serviceAccountSpec(),
      "federated",
      apps.federated.clientId,
      false,
    ],
    [
      "with the tenant ServiceAccount's token as a federated assertion, IDs from the spec",
      acrSpec({ auth: { serviceAccountRef: { name: "bare", clientId: apps.federated.clientId, tenantId } } }),
      "federated",
      apps.federated.clientId,
      false,
    ],
    ["with the operator's own workload identity", acrSpec(), "federated", apps.ambient.clientId, true],
  ])("%s", (_name, spec, method, clientId, ambient) =>
    withWorld(async (world) => {
      const directory = mkdtempSync(join(tmpdir(), "regcred-acr-"));
      try {
        const provider = ambient
          ? world.providerWith(await ambientOptions(world, directory))
          : world.provider;
        const before = Date.now();
        const [token, ...more] = await mint(world, spec, provider);
        expect(more).toHaveLength(0);
        expect(token?.host).toBe(registry);
        expect(token?.username).toBe("00000000-0000-0000-0000-000000000000");
        expect(world.cloud.entra.grants).toEqual([{ clientId, method, scope: registryScope }]);
        const [exchange] = world.cloud.registries[0]?.exchanges ?? [];
        expect(exchange).toEqual({
          service: registry,
          tenant: tenantId,
          audience: "https://containerregistry.azure.net",
          accepted: true,
        });
        // The refresh token's own exp (the fake's default is 3 hours), not the Entra token's hour.
        const exp = decodeJwt(token?.password ?? "").exp ?? 0;
        expect(token?.expiresAt?.getTime()).toBe(exp * 1000);
        expect(exp * 1000 - before).toBeGreaterThan(2.9 * 3600 * 1000);
        if (method === "federated" && !ambient)
          expect(world.access.tokenRequests.map((request) => request.audience)).toEqual([federationAudience]);
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    })(),
  );

  it(
    "to several registries with one Entra token, one exchange each",
    withWorld(async (world) => {
      const tokens = await mint(
        world,
        secretSpec("azure-app", { registries: [registry, "second.azurecr.io"] }),
      );
      expect(tokens.map((token) => token.host)).toEqual([registry, "second.azurecr.io"]);
      expect(world.cloud.entra.grants).toHaveLength(1);
      expect(world.cloud.registries.map((fake) => fake.exchanges.length)).toEqual([1, 1, 0]);
    }),
  );

  it(
    "and checks that the registry lets it pull the named repositories, writing the refresh token",
    withWorld(async (world) => {
      const [token] = await mint(world, secretSpec("azure-app", { repositories: ["team/app", "team/base"] }));
      const claims = decodeJwt(token?.password ?? "");
      expect(claims.grant_type).toBe("refresh_token");
      expect(token?.expiresAt?.getTime()).toBe((claims.exp ?? 0) * 1000);
      expect(world.cloud.registries[0]?.grantedScopes).toEqual([
        ["repository:team/app:pull", "repository:team/base:pull"],
      ]);
    }),
  );
});

/** A provider that reaches the given host at the first registry fake's address. */
function redirectedTo(world: AcrWorld, host: string, url: string): Provider<AcrSource> {
  return world.providerWith({ registryUrls: { ...world.cloud.options.registryUrls, [host]: url } });
}

describe("the acr provider refuses", () => {
  it(
    "a registry outside the host allow-list, before sending anything anywhere",
    withWorld(async (world) => {
      const listener = world.cloud.registries[0];
      const provider = redirectedTo(world, "registry.evil.example", listener?.url ?? "");
      const error = await credentialErrorOf(
        provider.resolve(secretSpec("azure-app", { registries: ["registry.evil.example"] }), world.access),
      );
      expect(error.reason).toBe("Forbidden");
      expect(error.retryable).toBe(false);
      expect(error.message).toContain("registry.evil.example is not on the operator's ACR host allow-list");
      expect(world.cloud.entra.grants).toHaveLength(0);
      expect(listener?.exchanges).toHaveLength(0);
    }),
  );

  it(
    "a registry whose challenge names a token realm on another host",
    withWorld(async (world) => {
      const decoy = await world.cloud.addRegistry({
        name: registry,
        tenantId,
        pullers: [],
        challengeRealm: "https://collector.example/oauth2/token",
      });
      const provider = redirectedTo(world, registry, decoy.url);
      const error = await credentialErrorOf(mint(world, secretSpec(), provider));
      expect(error.reason).toBe("ProviderError");
      expect(error.message).toContain("named its token realm on another host (collector.example)");
      expect(decoy.exchanges).toHaveLength(0);
    }),
  );

  it(
    "to wrap a refused TokenRequest: its Forbidden reaches status as it is",
    withWorld(async (world) => {
      world.access.requestServiceAccountToken = async () => {
        throw new CredentialError(
          "Forbidden",
          "the operator may not create tokens for ServiceAccount tenant-a/puller",
        );
      };
      const error = await credentialErrorOf(mint(world, serviceAccountSpec()));
      expect(error.reason).toBe("Forbidden");
      expect(error.message).toBe("the operator may not create tokens for ServiceAccount tenant-a/puller");
      expect(world.cloud.entra.grants).toHaveLength(0);
    }),
  );

  it.each<[string, (world: AcrWorld) => { spec: AcrSource; provider?: Provider<AcrSource> }, string, RegExp]>(
    [
      [
        "a ServiceAccount without a client ID annotation when the spec names none",
        () => ({ spec: acrSpec({ auth: { serviceAccountRef: { name: "bare" } } }) }),
        "InvalidSpec",
        /has no azure\.workload\.identity\/client-id annotation/,
      ],
      [
        "a Secret holding both a client secret and a certificate",
        (world) => {
          world.access.putSecret("both", {
            AZURE_CLIENT_SECRET: "x".repeat(20),
            AZURE_CLIENT_CERTIFICATE: "y".repeat(20),
          });
          return { spec: secretSpec("both") };
        },
        "InvalidSpec",
        /holds both a client secret/,
      ],
      [
        "a certificate without its private key",
        (world) => {
          world.access.putSecret("cert-only", { AZURE_CLIENT_CERTIFICATE: world.certificate.certPem });
          return {
            spec: acrSpec({
              auth: { secretRef: { name: "cert-only", tenantId, clientId: apps.certificate.clientId } },
            }),
          };
        },
        "InvalidSpec",
        /no unencrypted PEM private key/,
      ],
      [
        "a certificate whose key is not RSA, which Entra assertions cannot be signed with",
        (world) => {
          const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
            type: "pkcs8",
            format: "pem",
          });
          world.access.putSecret("ec-cert", {
            AZURE_CLIENT_CERTIFICATE: `${world.certificate.certPem}${String(ec)}`,
          });
          return {
            spec: acrSpec({
              auth: { secretRef: { name: "ec-cert", tenantId, clientId: apps.certificate.clientId } },
            }),
          };
        },
        "InvalidSpec",
        /holds a ec key; Entra certificate credentials need an RSA key/,
      ],
      [
        "a certificate beside a key that is not its own",
        (world) => {
          const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
            type: "pkcs8",
            format: "pem",
          });
          world.access.putSecret("mismatch", {
            AZURE_CLIENT_CERTIFICATE: `${world.certificate.certPem}${String(other)}`,
          });
          return {
            spec: acrSpec({
              auth: { secretRef: { name: "mismatch", tenantId, clientId: apps.certificate.clientId } },
            }),
          };
        },
        "InvalidSpec",
        /holds no certificate of its private key/,
      ],
      [
        "a ServiceAccount annotation that is not a GUID",
        (world) => {
          world.access.putServiceAccount("odd", { "azure.workload.identity/tenant-id": "evil/../x|y" });
          return {
            spec: acrSpec({
              auth: { serviceAccountRef: { name: "odd", clientId: apps.federated.clientId } },
            }),
          };
        },
        "InvalidSpec",
        /has an azure\.workload\.identity\/tenant-id annotation that is not a GUID/,
      ],
      [
        "a client secret Entra does not accept",
        (world) => {
          world.access.putSecret("wrong", { AZURE_CLIENT_SECRET: "a-wrong-client-secret-value" });
          return { spec: secretSpec("wrong") };
        },
        "ProviderError",
        /Entra token request for application .* failed: invalid_client: AADSTS7000215: Invalid client secret provided\.$/,
      ],
      [
        "a federated token Entra holds no federated credential for",
        (world) => {
          world.access.putServiceAccount("stranger", {
            "azure.workload.identity/client-id": apps.federated.clientId,
          });
          return { spec: acrSpec({ auth: { serviceAccountRef: { name: "stranger", tenantId } } }) };
        },
        "ProviderError",
        /AADSTS70021: No matching federated identity record/,
      ],
      [
        "an Entra token for Resource Manager at a registry that disabled ARM audience tokens",
        () => ({ spec: secretSpec("azure-app", { tokenAudience: "ResourceManager" }) }),
        "ProviderError",
        /ACR token exchange at fakeregistry\.azurecr\.io failed with HTTP 401: UNAUTHORIZED: .*ARM audience tokens are disabled/,
      ],
      [
        "an exchange at a registry of another directory",
        () => ({ spec: secretSpec("azure-app", { registries: [foreignRegistry] }) }),
        "ProviderError",
        /ACR token exchange at foreign\.azurecr\.io failed with HTTP 401: UNAUTHORIZED: the tenant does not match/,
      ],
      [
        "a host that answers /v2/ without a Bearer challenge",
        (world) => ({ spec: secretSpec(), provider: redirectedTo(world, registry, world.cloud.entra.url) }),
        "ProviderError",
        /answered GET \/v2\/ with HTTP 404 and no Bearer challenge/,
      ],
    ],
  )("%s", (_name, arrange, reason, message) =>
    withWorld(async (world) => {
      const { spec, provider } = arrange(world);
      const error = await credentialErrorOf(mint(world, spec, provider));
      expect(error.reason).toBe(reason);
      expect(error.message).toMatch(message);
      for (const value of [apps.secret.secret, "a-wrong-client-secret-value", ...world.cloud.entra.issued])
        expect(error.message).not.toContain(value);
    })(),
  );
});

describe("the ACR exchange", () => {
  it(
    "omits the tenant when it is not known (the operator's own managed identity), and the registry accepts that",
    withWorld(async (world) => {
      const entraToken = await (
        await world.factories.clientSecret(tenantId, apps.secret.clientId, apps.secret.secret)
      ).getToken("https://containerregistry.azure.net/.default");
      const login = await acrLogin(world.factories.http, {
        registry,
        baseUrl: world.factories.registryUrl(registry),
        entraToken: entraToken?.token ?? "",
      });
      expect(decodeJwt(login.password).grant_type).toBe("refresh_token");
      expect(world.cloud.registries[0]?.exchanges).toEqual([
        { service: registry, tenant: null, audience: "https://containerregistry.azure.net", accepted: true },
      ]);
    }),
  );
});
