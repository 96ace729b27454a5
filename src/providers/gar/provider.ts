// Google Artifact Registry and Container Registry: docker logins as `oauth2accesstoken` with an
// OAuth2 access token, minted from ambient credentials, a Secret, or a federated ServiceAccount.
import type { GarSource } from "../../api/v1alpha1.js";
import { CredentialError, withoutKnownValues } from "../errors.js";
import type { Provider, RegistryToken, ResolvedSource, SourceAccess } from "../provider.js";
import { cloudPlatformScope, pullScope } from "./access-token.js";
import { resolveBaseCredential } from "./credential-source.js";
import type { GoogleClientFactories } from "./factories.js";
import { garIdentity } from "./identity.js";
import { impersonate } from "./impersonation.js";
import { garInfo, googleRegistryUsername } from "./info.js";
import { validateGarSource } from "./validate.js";

/** @internal exported for its tests */
export type { GoogleEndpoints } from "./endpoints.js";
export { defaultGoogleClientFactories, type GoogleClientFactories } from "./factories.js";

export function createGarProvider(factories: GoogleClientFactories): Provider<GarSource> {
  return {
    ...garInfo,

    async resolve(spec: GarSource, access: SourceAccess): Promise<ResolvedSource> {
      const problems = validateGarSource(spec);
      if (problems.length > 0) throw new CredentialError("InvalidSpec", problems.join("; "), false);
      const base = await resolveBaseCredential(spec, access, factories);
      const hosts = [...new Set(spec.registries)];
      return {
        identity: garIdentity(spec, base.origin),
        async mint(signal?: AbortSignal): Promise<RegistryToken[]> {
          const held: string[] = [];
          try {
            // A token the Secret holds as is gets the pull scope; one that only calls IAM, cloud-platform.
            let token = await base.accessToken(spec.impersonate ? cloudPlatformScope : pullScope, signal);
            held.push(token.token);
            if (spec.impersonate)
              token = await impersonate(
                factories.fetch,
                factories.endpoints.iamCredentialsUrl,
                token,
                spec.impersonate,
                signal,
              );
            return hosts.map((host) => ({
              host,
              username: googleRegistryUsername,
              password: token.token,
              expiresAt: token.expiresAt,
            }));
          } catch (error) {
            // Whatever Google quotes back, the tokens this mint held never reach a message.
            throw withoutKnownValues(error, `gar ${hosts.join(",")}`, held);
          }
        },
      };
    },
  };
}
