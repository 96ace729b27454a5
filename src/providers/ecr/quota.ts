import type { MintQuota, RegistryToken } from "../provider.js";
import { parseRoleArn, partitionOfRegion } from "./arns.js";
import type { AwsIdentitySpec, BaseIdentity } from "./credentials.js";
import { accountOfRegistryHost } from "./host-forms.js";

/**
 * ECR's GetAuthorizationToken rate limit, 20 per second with a burst of 200 (ECR's troubleshooting
 * guide; its quota page says 500 per second, adjustable: the lower figure is the one to keep to).
 */
export const ecrMintRate = { perSecond: 20, burst: 200 } as const;

/**
 * The account whose quota the final caller draws on, when the spec or the identity names it: the
 * chained role's, else the per-tenant IRSA role's; undefined for static keys and ambient identity.
 */
function callerAccount(spec: AwsIdentitySpec, base: BaseIdentity): string | undefined {
  if (spec.assumeRole) return parseRoleArn(spec.assumeRole.roleArn)?.accountId;
  if (base.kind === "serviceAccount") return parseRoleArn(base.roleArn)?.accountId;
  return undefined;
}

/**
 * The quota an AWS mint in `region` counts against: "<partition>|<account>|<region>", with "?" for
 * an account not known before the first mint. `learnFromHosts` (private ECR answering for the
 * caller's own account, no registryIds) lets the first mint's registry host name it.
 */
export function awsQuota(spec: AwsIdentitySpec, base: BaseIdentity, learnFromHosts: boolean): MintQuota {
  const prefix = `${partitionOfRegion(spec.region)}|`;
  const account = callerAccount(spec, base);
  if (account !== undefined) return { key: `${prefix}${account}|${spec.region}` };
  return {
    key: `${prefix}?|${spec.region}`,
    ...(learnFromHosts
      ? {
          learnedKey: (tokens: readonly RegistryToken[]) => {
            const learnt = tokens.map((t) => accountOfRegistryHost(t.host)).find((a) => a !== undefined);
            return learnt === undefined ? undefined : `${prefix}${learnt}|${spec.region}`;
          },
        }
      : {}),
  };
}
