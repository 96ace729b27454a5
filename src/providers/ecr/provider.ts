// The ECR provider: docker logins for private ECR registries from GetAuthorizationToken.
import type { EcrSource } from "../../api/v1alpha1.js";
import type { Provider, ResolvedSource } from "../provider.js";
import { getAuthorizationTokens } from "./authorization-token.js";
import type { AwsClientFactories } from "./clients.js";
import { resolveBaseIdentity, withSourceCredentials } from "./credentials.js";
import { identityOf } from "./identity.js";
import { ecrInfo } from "./info.js";
import { awsQuota } from "./quota.js";

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
        quota: awsQuota(spec, base, !spec.registryIds?.length),
        mint: (signal) =>
          withSourceCredentials(
            base,
            spec,
            factories,
            access,
            `ecr ${spec.region}`,
            (credentials) =>
              getAuthorizationTokens(
                factories,
                {
                  region: spec.region,
                  credentials,
                  ...(spec.registryIds ? { registryIds: spec.registryIds } : {}),
                  ...(spec.hostForms ? { hostForms: spec.hostForms } : {}),
                },
                signal,
              ),
            signal,
          ),
      };
    },
  };
}
