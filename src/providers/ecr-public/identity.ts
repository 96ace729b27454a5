import type { EcrPublicSource } from "../../api/v1alpha1.js";
import type { AwsIdentitySpec, BaseIdentity } from "../ecr/credentials.js";
import { credentialChainParts } from "../ecr/identity.js";
import { publicApiRegion } from "./authorization-token.js";

/** The spec as an AWS identity in us-east-1, where ECR Public's API and its STS exchanges run. */
export function identitySpecOf(spec: EcrPublicSource): AwsIdentitySpec {
  return {
    region: publicApiRegion,
    ...(spec.auth ? { auth: spec.auth } : {}),
    ...(spec.assumeRole ? { assumeRole: spec.assumeRole } : {}),
  };
}

/**
 * The identity of a resolved ecrPublic source, e.g.
 * "ecr-public|us-east-1|secret:tenant-a/aws@<uid>:<resourceVersion>|keys=<data keys>|assume=arn:...|session=...".
 * Equal exactly when the credential source and role chain are (see the ecr provider's identityOf).
 * Holds no key material.
 */
export function identityOf(spec: EcrPublicSource, base: BaseIdentity): string {
  return ["ecr-public", publicApiRegion, ...credentialChainParts(identitySpecOf(spec), base)].join("|");
}
