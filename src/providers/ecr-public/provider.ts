// The ECR Public provider: the docker login for public.ecr.aws, from the ecr-public API in
// us-east-1, with the same AWS identities as the ecr provider (static keys, per-tenant IRSA,
// ambient, chained assumeRole).
import type { EcrPublicSource } from "../../api/v1alpha1.js";
import type { AwsClientFactories } from "../ecr/clients.js";
import { resolveBaseIdentity, withSourceCredentials } from "../ecr/credentials.js";
import { awsQuota } from "../ecr/quota.js";
import type { Provider, ResolvedSource } from "../provider.js";
import { getPublicAuthorizationToken } from "./authorization-token.js";
import { identityOf, identitySpecOf } from "./identity.js";
import { ecrPublicInfo } from "./info.js";

/** An ECR Public provider whose every SDK client comes from `factories`. */
export function createEcrPublicProvider(factories: AwsClientFactories): Provider<EcrPublicSource> {
  return {
    ...ecrPublicInfo,
    async resolve(spec: EcrPublicSource, access): Promise<ResolvedSource> {
      const identitySpec = identitySpecOf(spec);
      const base = await resolveBaseIdentity(identitySpec, access);
      return {
        identity: identityOf(spec, base),
        quota: awsQuota(identitySpecOf(spec), base, false),
        mint: (signal) =>
          withSourceCredentials(
            base,
            identitySpec,
            factories,
            access,
            "ecrPublic",
            async (credentials) => [await getPublicAuthorizationToken(factories, credentials, signal)],
            signal,
          ),
      };
    },
  };
}
