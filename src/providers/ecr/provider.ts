// The ECR provider: docker logins for private ECR registries from GetAuthorizationToken.
import type { EcrSource } from "../../api/v1alpha1.js";
import { withoutKnownValues } from "../errors.js";
import type { Provider, ResolvedSource } from "../provider.js";
import { getAuthorizationTokens } from "./authorization-token.js";
import type { AwsClientFactories } from "./clients.js";
import { credentialsFor, resolveBaseIdentity } from "./credentials.js";
import { identityOf } from "./identity.js";
import { ecrInfo } from "./info.js";

export type { AwsClientFactories } from "./clients.js";
export { defaultAwsClientFactories } from "./clients.js";

/** An ECR provider whose every SDK client comes from `factories`. */
export function createEcrProvider(factories: AwsClientFactories): Provider<EcrSource> {
  return {
    ...ecrInfo,
    async resolve(spec: EcrSource, access): Promise<ResolvedSource> {
      const base = await resolveBaseIdentity(spec, access);
      return {
        identity: identityOf(spec, base),
        async mint(signal) {
          const held: (string | undefined)[] =
            base.kind === "secret" ? [base.credentials.secretAccessKey, base.credentials.sessionToken] : [];
          try {
            const credentials = await credentialsFor(base, spec, factories, access, signal);
            if (typeof credentials !== "function")
              held.push(credentials.secretAccessKey, credentials.sessionToken);
            return await getAuthorizationTokens(
              factories,
              {
                region: spec.region,
                credentials,
                ...(spec.registryIds ? { registryIds: spec.registryIds } : {}),
              },
              signal,
            );
          } catch (error) {
            // Whatever AWS quotes back, the keys this mint held never reach a message.
            throw withoutKnownValues(error, `ecr ${spec.region}`, held);
          }
        },
      };
    },
  };
}
