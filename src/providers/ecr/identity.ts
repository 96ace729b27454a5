import { createHash } from "node:crypto";
import type { EcrSource } from "../../api/v1alpha1.js";
import type { AwsIdentitySpec, BaseIdentity } from "./credentials.js";
import { defaultSessionName } from "./sts.js";

/**
 * The identity of a resolved ECR source, e.g.
 * "ecr|eu-west-1|default|secret:tenant-a/aws@<uid>:<resourceVersion>|keys=<data keys>|assume=arn:...|session=...",
 * with "|forms=FIPS,Standard" appended when the host forms are not the default [Standard].
 * Equal exactly when region, registries, host forms, credential source (including the Secret's content
 * version and which of its keys are read) and role chain are equal. Holds no key material: an ExternalId appears only as a digest.
 */
export function identityOf(spec: EcrSource, base: BaseIdentity): string {
  const registries = spec.registryIds?.length ? [...new Set(spec.registryIds)].sort().join(",") : "default";
  const forms = [...new Set(spec.hostForms ?? [])].sort().join(",");
  return [
    "ecr",
    spec.region,
    registries,
    ...credentialChainParts(spec, base),
    ...(forms === "" || forms === "Standard" ? [] : [`forms=${forms}`]),
  ].join("|");
}

/**
 * The parts of an identity that name who signs: the base identity, then the chained role (its
 * ExternalId only as a digest). Holds no key material.
 */
export function credentialChainParts(spec: AwsIdentitySpec, base: BaseIdentity): string[] {
  const parts = [credentialPart(base)];
  if (spec.assumeRole) {
    parts.push(`assume=${spec.assumeRole.roleArn}`);
    if (spec.assumeRole.externalId !== undefined)
      parts.push(`ext=sha256:${digest(spec.assumeRole.externalId)}`);
    parts.push(`session=${spec.assumeRole.sessionName ?? defaultSessionName}`);
  }
  return parts;
}

function credentialPart(base: BaseIdentity): string {
  switch (base.kind) {
    case "ambient":
      return "ambient";
    case "secret": {
      const { accessKeyId, secretAccessKey, sessionToken } = base.keys;
      const keys = [accessKeyId, secretAccessKey, ...(sessionToken ? [sessionToken] : [])].join(",");
      return `secret:${base.namespace}/${base.name}@${base.uid}:${base.resourceVersion}|keys=${keys}`;
    }
    case "serviceAccount":
      return `sa:${base.namespace}/${base.name}@${base.uid}|role=${base.roleArn}|aud=${base.audience}`;
  }
}

function digest(value: string): string {
  return createHash("sha256").update(value).digest("hex").slice(0, 16);
}
