// The host names of a private ECR registry: one per host form, derived from account and region.
import type { EcrHostForm } from "../../api/v1alpha1.js";
import { isAccountId, partitionOfRegion } from "./arns.js";

export const defaultHostForms: readonly EcrHostForm[] = ["Standard"];

/** DNS suffix of each partition's regional endpoints (the AWS SDK's partitions.json). */
const dnsSuffixes: Record<string, string> = {
  aws: "amazonaws.com",
  "aws-us-gov": "amazonaws.com",
  "aws-cn": "amazonaws.com.cn",
  "aws-iso": "c2s.ic.gov",
  "aws-iso-b": "sc2s.sgov.gov",
  "aws-iso-e": "cloud.adc-e.uk",
  "aws-iso-f": "csp.hci.ic.gov",
};

const fipsRegion = /^us-(gov-)?(east|west)-\d+$/;
const withoutDualStack = /^(cn-|[a-z]{2}-iso)/;

/**
 * Why `form` does not exist in `region`, or undefined when it does: FIPS forms only in the US and
 * GovCloud regions, dual-stack forms not in China or the ISO partitions.
 */
export function unavailableForm(form: EcrHostForm, region: string): string | undefined {
  if ((form === "FIPS" || form === "DualStackFIPS") && !fipsRegion.test(region))
    return `ECR has FIPS endpoints only in the US and GovCloud regions (us-east-1, us-east-2, us-west-1, us-west-2, us-gov-east-1, us-gov-west-1), not in ${region}`;
  if ((form === "DualStack" || form === "DualStackFIPS") && withoutDualStack.test(region))
    return `ECR has no dual-stack registry endpoint in the ${partitionOfRegion(region)} partition (region ${region})`;
  return undefined;
}

/**
 * The registry host of `account` in `region` in the given form, e.g.
 * 123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn. Expects a well-formed account and region and
 * a form available there (see unavailableForm).
 */
export function registryHost(account: string, region: string, form: EcrHostForm): string {
  switch (form) {
    case "Standard":
      return `${account}.dkr.ecr.${region}.${dnsSuffixes[partitionOfRegion(region)] ?? "amazonaws.com"}`;
    case "FIPS":
      return `${account}.dkr.ecr-fips.${region}.amazonaws.com`;
    case "DualStack":
      return `${account}.dkr-ecr.${region}.on.aws`;
    case "DualStackFIPS":
      return `${account}.dkr-ecr-fips.${region}.on.aws`;
  }
}

/** Every host of the accounts in the forms, account by account, forms in the order given. */
export function registryHosts(
  accounts: readonly string[],
  region: string,
  forms: readonly EcrHostForm[] = defaultHostForms,
): string[] {
  return accounts.flatMap((account) => forms.map((form) => registryHost(account, region, form)));
}

const registryHostPattern =
  /^(\d{12})\.(?:dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.(?:amazonaws\.com(?:\.cn)?|c2s\.ic\.gov|sc2s\.sgov\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)|dkr-ecr(?:-fips)?\.[a-z0-9-]+\.on\.aws)$/;

/** Every host form of a private ECR registry in any partition, for `regcred audit`. */
export const registryHostPatterns: readonly RegExp[] = [registryHostPattern];

/**
 * The account id of a private ECR registry host in any form, or undefined when the host is not
 * one (e.g. a test registry that a fake ECR names as its proxyEndpoint).
 */
export function accountOfRegistryHost(host: string): string | undefined {
  const account = registryHostPattern.exec(host)?.[1];
  return account !== undefined && isAccountId(account) ? account : undefined;
}
