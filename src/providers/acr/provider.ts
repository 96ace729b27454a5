// Azure Container Registry: a Microsoft Entra token, exchanged at the registry for an ACR refresh
// token (or a repository-scoped access token), written with ACR's fixed user name.
import type { AcrSource } from "../../api/v1alpha1.js";
import { CredentialError, withoutKnownValues } from "../errors.js";
import type { Provider, RegistryToken, ResolvedSource, SourceAccess } from "../provider.js";
import { resolveEntraCredential } from "./entra-credential.js";
import { entraFailure } from "./entra-errors.js";
import { acrLogin } from "./exchange.js";
import type { AzureClientFactories } from "./factories.js";
import { isAllowedRegistryHost } from "./host-allow-list.js";
import { acrIdentity } from "./identity.js";
import { acrInfo, acrUsername } from "./info.js";
import { validateAcrSource } from "./validate.js";

/** @internal exported for tests */
export type { AzureOptions } from "./factories.js";
export { type AzureClientFactories, defaultAzureClientFactories } from "./factories.js";

/** The Entra scope of each tokenAudience. */
const entraScopes = {
  ContainerRegistry: "https://containerregistry.azure.net/.default",
  ResourceManager: "https://management.azure.com/.default",
} as const;

function refuseUnlistedHosts(registries: readonly string[], allowList: readonly string[]): void {
  const refused = registries.filter((host) => !isAllowedRegistryHost(host, allowList));
  if (refused.length === 0) return;
  throw new CredentialError(
    "Forbidden",
    `registr${refused.length === 1 ? "y" : "ies"} ${refused.join(", ")} ${refused.length === 1 ? "is" : "are"} not on the operator's ACR host allow-list (${allowList.join(", ")}); the operator sends Entra tokens only to those hosts; an administrator can extend the list with --acr-allowed-hosts`,
    false,
  );
}

export function createAcrProvider(factories: AzureClientFactories): Provider<AcrSource> {
  return {
    ...acrInfo,

    async resolve(spec: AcrSource, access: SourceAccess): Promise<ResolvedSource> {
      const problems = validateAcrSource(spec);
      if (problems.length > 0) throw new CredentialError("InvalidSpec", problems.join("; "), false);
      const registries = [...new Set(spec.registries)];
      refuseUnlistedHosts(registries, factories.allowedRegistryHosts);
      for (const registry of registries)
        if (factories.registryUrl(registry).protocol !== "https:")
          throw new CredentialError(
            "InvalidSpec",
            `registry ${registry} is configured at a URL that is not https`,
            false,
          );
      const entra = await resolveEntraCredential(spec, access, factories);
      const scope = entraScopes[spec.tokenAudience ?? "ContainerRegistry"];
      return {
        identity: acrIdentity(spec, entra.origin),
        async mint(signal?: AbortSignal): Promise<RegistryToken[]> {
          const held: string[] = [];
          // The first registry to fail stops the others: their tokens would be thrown away.
          const stop = new AbortController();
          const stopped = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
          try {
            let entraToken: string;
            try {
              entraToken = await entra.getToken(scope, stopped);
            } catch (error) {
              throw entraFailure(`Entra token request for ${entra.description}`, error);
            }
            held.push(entraToken);
            return await Promise.all(
              registries.map(async (registry) => {
                const login = await acrLogin(
                  factories.http,
                  {
                    registry,
                    baseUrl: factories.registryUrl(registry),
                    entraToken,
                    ...(entra.tenantId ? { tenantId: entra.tenantId } : {}),
                    ...(spec.repositories?.length ? { repositories: spec.repositories } : {}),
                  },
                  stopped,
                ).catch((error: unknown) => {
                  stop.abort();
                  throw error instanceof CredentialError
                    ? error
                    : new CredentialError(
                        "ProviderError",
                        `ACR login at ${registry} failed: ${error instanceof Error ? error.message : String(error)}`,
                      );
                });
                held.push(login.password);
                return {
                  host: registry,
                  username: acrUsername,
                  password: login.password,
                  expiresAt: login.expiresAt,
                };
              }),
            );
          } catch (error) {
            // Whatever Entra or the registry quotes back, the tokens this mint held never reach a message.
            throw withoutKnownValues(error, `acr ${registries.join(",")}`, [...held, ...entra.held()]);
          }
        },
      };
    },
  };
}
