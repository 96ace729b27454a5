// The ECR provider: docker logins for private ECR registries from GetAuthorizationToken.
import type { EcrSource } from "../../api/v1alpha1.js";
import type { Provider, ResolvedSource } from "../provider.js";
import { getAuthorizationTokens } from "./authorization-token.js";
import type { AwsClientFactories } from "./clients.js";
import { credentialsFor, resolveBaseIdentity } from "./credentials.js";
import { identityOf } from "./identity.js";
import { validateEcrSource } from "./validate.js";

export type {
  AwsClientFactories,
  AwsCredentialSource,
  AwsCredentials,
  DefaultAwsClientOptions,
} from "./clients.js";
export { defaultAwsClientFactories } from "./clients.js";

/** An ECR provider whose every SDK client comes from `factories`. */
export function createEcrProvider(factories: AwsClientFactories): Provider<EcrSource> {
  return {
    validate: validateEcrSource,
    async resolve(spec: EcrSource, access): Promise<ResolvedSource> {
      const base = await resolveBaseIdentity(spec, access);
      return {
        identity: identityOf(spec, base),
        async mint(signal) {
          const credentials = await credentialsFor(base, spec, factories, access, signal);
          return getAuthorizationTokens(
            factories,
            {
              region: spec.region,
              credentials,
              ...(spec.registryIds ? { registryIds: spec.registryIds } : {}),
            },
            signal,
          );
        },
      };
    },
  };
}
