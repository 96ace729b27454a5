// Semantic checks of an EcrSource that the CRD schema cannot express.
import type {
  AssumeRole,
  AwsSecretReference,
  AwsServiceAccountReference,
  EcrHostForm,
  EcrSource,
} from "../../api/v1alpha1.js";
import { isAccountId, isRegion, parseRoleArn, partitionOfRegion } from "./arns.js";
import type { AwsIdentitySpec } from "./credentials.js";
import { unavailableForm } from "./host-forms.js";
import { defaultKeys } from "./secret-keys.js";

const secretKeyPattern = /^[-._a-zA-Z0-9]+$/;
const sessionNamePattern = /^[\w+=,.@-]{2,64}$/;
const externalIdPattern = /^[\w+=,.@:/-]{2,1224}$/;

/** One message per problem, each naming the field and saying why; empty when the spec is valid. */
export function validateEcrSource(spec: EcrSource): string[] {
  return [
    ...checkRegion(spec.region),
    ...checkRegistryIds(spec.registryIds),
    ...checkHostForms(spec.hostForms, spec.region),
    ...validateAwsIdentity(spec),
  ];
}

/**
 * The problems of an AWS identity's auth and assumeRole (role ARNs checked against the region's
 * partition), one message per problem naming the field; shared by the ecr and ecrPublic blocks.
 */
export function validateAwsIdentity(spec: AwsIdentitySpec, regionLabel = `region ${spec.region}`): string[] {
  return [
    ...checkAuth(spec, regionLabel),
    ...(spec.assumeRole ? checkAssumeRole(spec.assumeRole, spec.region, regionLabel) : []),
  ];
}

function checkRegion(region: string): string[] {
  if (isRegion(region)) return [];
  if (/^[a-z]{2}-[a-z-]+-\d{1,2}[a-z]$/.test(region)) {
    return [`region "${region}" is an availability zone, not a region; use "${region.slice(0, -1)}"`];
  }
  return [
    `region "${region}" is not an AWS region name (expected lower case like eu-west-1, us-gov-west-1, cn-north-1 or us-iso-east-1)`,
  ];
}

function checkRegistryIds(registryIds: string[] | undefined): string[] {
  if (registryIds === undefined) return [];
  const problems: string[] = [];
  const seen = new Set<string>();
  registryIds.forEach((id, index) => {
    if (!isAccountId(id)) problems.push(`registryIds[${index}] "${id}" is not a 12-digit AWS account ID`);
    else if (seen.has(id)) problems.push(`registryIds[${index}] repeats account ID ${id}`);
    seen.add(id);
  });
  return problems;
}

function checkHostForms(forms: EcrHostForm[] | undefined, region: string): string[] {
  if (forms === undefined) return [];
  if (forms.length === 0) return ["hostForms is empty; omit it for [Standard] or name at least one form"];
  const problems: string[] = [];
  const seen = new Set<EcrHostForm>();
  forms.forEach((form, index) => {
    if (seen.has(form)) problems.push(`hostForms[${index}] repeats ${form}`);
    seen.add(form);
    const unavailable = isRegion(region) ? unavailableForm(form, region) : undefined;
    if (unavailable) problems.push(`hostForms[${index}] ${form}: ${unavailable}`);
  });
  return problems;
}

function checkAuth(spec: AwsIdentitySpec, regionLabel: string): string[] {
  const auth = spec.auth;
  if (auth === undefined) return [];
  const { secretRef, serviceAccountRef } = auth;
  if (secretRef && serviceAccountRef) {
    return ["auth sets both secretRef and serviceAccountRef; set exactly one of them"];
  }
  if (secretRef) return checkSecretRef(secretRef);
  if (serviceAccountRef) return checkServiceAccountRef(serviceAccountRef, spec.region, regionLabel);
  return [
    "auth sets neither secretRef nor serviceAccountRef; set exactly one of them, or omit auth to use the operator's own identity",
  ];
}

function checkSecretRef(ref: AwsSecretReference): string[] {
  const problems: string[] = [];
  if (ref.name.trim() === "") problems.push("auth.secretRef.name is empty; it must name a Secret");
  const keys = {
    accessKeyIdKey: ref.accessKeyIdKey,
    secretAccessKeyKey: ref.secretAccessKeyKey,
    sessionTokenKey: ref.sessionTokenKey,
  };
  for (const [field, key] of Object.entries(keys)) {
    if (key !== undefined && !secretKeyPattern.test(key)) {
      problems.push(
        `auth.secretRef.${field} "${key}" is not a valid Secret data key (letters, digits, "-", "_" and "." only)`,
      );
    }
  }
  const effective = [
    ref.accessKeyIdKey ?? defaultKeys.accessKeyId,
    ref.secretAccessKeyKey ?? defaultKeys.secretAccessKey,
    ...(ref.sessionTokenKey === undefined ? [] : [ref.sessionTokenKey]),
  ];
  if (new Set(effective).size !== effective.length) {
    problems.push(
      `auth.secretRef reads two credentials from the same Secret key (${effective.join(", ")}); accessKeyIdKey, secretAccessKeyKey and sessionTokenKey must differ`,
    );
  }
  return problems;
}

function checkServiceAccountRef(
  ref: AwsServiceAccountReference,
  region: string,
  regionLabel: string,
): string[] {
  const problems: string[] = [];
  if (ref.name.trim() === "")
    problems.push("auth.serviceAccountRef.name is empty; it must name a ServiceAccount");
  if (ref.roleArn !== undefined)
    problems.push(...checkRoleArn("auth.serviceAccountRef.roleArn", ref.roleArn, region, regionLabel));
  if (ref.audience !== undefined && ref.audience.trim() === "") {
    problems.push("auth.serviceAccountRef.audience is empty; omit it to use sts.amazonaws.com");
  }
  return problems;
}

function checkAssumeRole(assumeRole: AssumeRole, region: string, regionLabel: string): string[] {
  const problems = checkRoleArn("assumeRole.roleArn", assumeRole.roleArn, region, regionLabel);
  if (assumeRole.externalId !== undefined && !externalIdPattern.test(assumeRole.externalId)) {
    problems.push(
      "assumeRole.externalId must be 2 to 1224 characters of letters, digits and +=,.@:/-_ (its value is not shown)",
    );
  }
  if (assumeRole.sessionName !== undefined && !sessionNamePattern.test(assumeRole.sessionName)) {
    problems.push(
      `assumeRole.sessionName "${assumeRole.sessionName}" must be 2 to 64 characters of letters, digits and +=,.@-_`,
    );
  }
  return problems;
}

/**
 * Problems with a role ARN: malformed, or in another partition than the region (checked only for a
 * valid region); `regionLabel` names the region in that message.
 */
export function checkRoleArn(
  field: string,
  arn: string,
  region: string,
  regionLabel = `region ${region}`,
): string[] {
  const parsed = parseRoleArn(arn);
  if (!parsed) {
    return [
      `${field} "${arn}" is not an IAM role ARN (expected arn:aws:iam::<12-digit account ID>:role/<name>, or the aws-cn, aws-us-gov or aws-iso partitions)`,
    ];
  }
  const regionPartition = partitionOfRegion(region);
  if (isRegion(region) && parsed.partition !== regionPartition) {
    return [
      `${field} "${arn}" is in partition ${parsed.partition}, but ${regionLabel} is in partition ${regionPartition}`,
    ];
  }
  return [];
}
