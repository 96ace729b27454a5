// The base identity of an ECR source: read from the referenced objects at resolve time, turned
// into AWS credentials (with STS exchanges where needed) at every mint.
import type {
  AssumeRole,
  AwsSecretReference,
  AwsServiceAccountReference,
  EcrAuth,
} from "../../api/v1alpha1.js";
import { CredentialError, withoutKnownValues } from "../errors.js";
import type { ReferencedSecret, SourceAccess } from "../provider.js";
import type { AwsClientFactories, AwsCredentialSource, AwsCredentials } from "./clients.js";
import { defaultKeys } from "./secret-keys.js";
import { assumeRole, assumeRoleWithWebIdentity } from "./sts.js";
import { checkRoleArn } from "./validate.js";

const roleArnAnnotation = "eks.amazonaws.com/role-arn";
const defaultAudience = "sts.amazonaws.com";
/** Lifetime requested for ServiceAccount tokens exchanged at STS. */
const serviceAccountTokenSeconds = 3600;

/**
 * The identity part of an AWS provider block (ecr, ecrPublic): the base identity, an optional role
 * to chain, and the region whose STS and partition the exchanges use.
 */
export interface AwsIdentitySpec {
  region: string;
  auth?: EcrAuth;
  assumeRole?: AssumeRole;
}

/** Who a source authenticates as before any assumeRole; holds key material only in `credentials`. */
export type BaseIdentity =
  | { kind: "ambient" }
  | {
      kind: "secret";
      namespace: string;
      name: string;
      uid: string;
      resourceVersion: string;
      /** The data keys the credentials were read from (they select different credentials). */
      keys: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
      credentials: AwsCredentials;
    }
  | {
      kind: "serviceAccount";
      namespace: string;
      name: string;
      uid: string;
      roleArn: string;
      audience: string;
    };

/**
 * Reads what spec.auth references. Throws CredentialError: Forbidden when auth is omitted and the
 * access forbids ambient identity; AuthSecretMissing (from access) for a missing Secret or
 * ServiceAccount; InvalidSpec for a Secret key that is missing, empty or malformed, or a
 * ServiceAccount with no role to assume. Messages name objects and keys, never values.
 */
export async function resolveBaseIdentity(
  spec: AwsIdentitySpec,
  access: SourceAccess,
): Promise<BaseIdentity> {
  const { secretRef, serviceAccountRef } = spec.auth ?? {};
  if (secretRef) return secretIdentity(secretRef, access);
  if (serviceAccountRef) return serviceAccountIdentity(serviceAccountRef, spec.region, access);
  if (spec.auth) {
    throw new CredentialError("InvalidSpec", "auth sets neither secretRef nor serviceAccountRef");
  }
  if (!access.ambientIdentityAllowed) {
    throw new CredentialError(
      "Forbidden",
      `this ECR source sets no auth, so it would use the operator's own AWS identity, but the operator's policy does not allow ambient identity for sources in namespace ${access.namespace}; set auth.secretRef or auth.serviceAccountRef`,
    );
  }
  return { kind: "ambient" };
}

async function secretIdentity(ref: AwsSecretReference, access: SourceAccess): Promise<BaseIdentity> {
  const secret = await access.readSecret(ref.name);
  const where = `Secret ${access.namespace}/${ref.name}`;
  const accessKeyId = requiredValue(secret, where, ref.accessKeyIdKey ?? defaultKeys.accessKeyId);
  if (!/^\w{16,128}$/.test(accessKeyId.value)) {
    throw new CredentialError(
      "InvalidSpec",
      `${where} key ${accessKeyId.key} does not hold an AWS access key ID (16 to 128 letters, digits or underscores)`,
      false,
    );
  }
  const secretAccessKey = requiredValue(secret, where, ref.secretAccessKeyKey ?? defaultKeys.secretAccessKey);
  const sessionTokenKey = ref.sessionTokenKey ?? defaultKeys.sessionToken;
  const sessionToken =
    ref.sessionTokenKey === undefined
      ? optionalValue(secret, where, sessionTokenKey)
      : requiredValue(secret, where, sessionTokenKey).value;
  return {
    kind: "secret",
    namespace: access.namespace,
    name: ref.name,
    uid: secret.uid,
    resourceVersion: secret.resourceVersion,
    keys: {
      accessKeyId: accessKeyId.key,
      secretAccessKey: secretAccessKey.key,
      ...(sessionToken === undefined ? {} : { sessionToken: sessionTokenKey }),
    },
    credentials: {
      accessKeyId: accessKeyId.value,
      secretAccessKey: secretAccessKey.value,
      ...(sessionToken === undefined ? {} : { sessionToken }),
    },
  };
}

/** The trimmed value of `key`; throws InvalidSpec when it is missing, empty or not printable ASCII. */
function requiredValue(secret: ReferencedSecret, where: string, key: string): { key: string; value: string } {
  const raw = secret.data[key];
  if (raw === undefined) {
    throw new CredentialError("InvalidSpec", `${where} has no key ${key}`, false);
  }
  const value = raw.toString("utf8").trim();
  if (value === "") throw new CredentialError("InvalidSpec", `${where} key ${key} is empty`, false);
  if (!/^[\x21-\x7e]+$/.test(value)) {
    throw new CredentialError(
      "InvalidSpec",
      `${where} key ${key} holds characters that cannot appear in AWS credentials (whitespace or non-ASCII)`,
      false,
    );
  }
  return { key, value };
}

/** Like requiredValue, but a missing or empty key gives undefined. */
function optionalValue(secret: ReferencedSecret, where: string, key: string): string | undefined {
  const raw = secret.data[key];
  if (raw === undefined || raw.toString("utf8").trim() === "") return undefined;
  return requiredValue(secret, where, key).value;
}

async function serviceAccountIdentity(
  ref: AwsServiceAccountReference,
  region: string,
  access: SourceAccess,
): Promise<BaseIdentity> {
  const account = await access.readServiceAccount(ref.name);
  const where = `ServiceAccount ${access.namespace}/${ref.name}`;
  const annotated = account.metadata?.annotations?.[roleArnAnnotation];
  const roleArn = ref.roleArn ?? annotated;
  if (roleArn === undefined || roleArn.trim() === "") {
    throw new CredentialError(
      "InvalidSpec",
      `auth.serviceAccountRef.roleArn is not set and ${where} has no ${roleArnAnnotation} annotation; set one of them to the IAM role to assume`,
      false,
    );
  }
  if (ref.roleArn === undefined) {
    const problems = checkRoleArn(`the ${roleArnAnnotation} annotation of ${where}`, roleArn, region);
    if (problems.length > 0) throw new CredentialError("InvalidSpec", problems.join("; "), false);
  }
  return {
    kind: "serviceAccount",
    namespace: access.namespace,
    name: ref.name,
    uid: account.metadata?.uid ?? "",
    roleArn,
    audience: ref.audience ?? defaultAudience,
  };
}

/**
 * The credentials ECR calls sign with: the base identity (a ServiceAccount token exchanged at STS
 * AssumeRoleWithWebIdentity, requested fresh on every call), then spec.assumeRole when set.
 * Throws CredentialError: ProviderError for failed STS or TokenRequest calls, or what access throws.
 */
async function credentialsFor(
  base: BaseIdentity,
  spec: AwsIdentitySpec,
  factories: AwsClientFactories,
  access: SourceAccess,
  signal?: AbortSignal,
): Promise<AwsCredentialSource> {
  const baseCredentials = await baseCredentialsFor(base, spec.region, factories, access, signal);
  if (!spec.assumeRole) return baseCredentials;
  return assumeRole(factories, spec.region, baseCredentials, spec.assumeRole, signal);
}

async function baseCredentialsFor(
  base: BaseIdentity,
  region: string,
  factories: AwsClientFactories,
  access: SourceAccess,
  signal?: AbortSignal,
): Promise<AwsCredentialSource> {
  switch (base.kind) {
    case "ambient":
      return factories.ambientCredentials();
    case "secret":
      return base.credentials;
    case "serviceAccount": {
      const token = await requestToken(access, base.name, base.audience);
      return assumeRoleWithWebIdentity(factories, region, base.roleArn, token, signal);
    }
  }
}

async function requestToken(access: SourceAccess, name: string, audience: string): Promise<string> {
  try {
    return await access.requestServiceAccountToken(name, audience, serviceAccountTokenSeconds);
  } catch (error) {
    if (error instanceof CredentialError) throw error;
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new CredentialError(
      "ProviderError",
      `TokenRequest for ServiceAccount ${access.namespace}/${name} (audience ${audience}) failed: ${detail}`,
    );
  }
}

/**
 * Runs `call` with the credentials of `base` and spec.assumeRole (see credentialsFor). Whatever
 * either throws comes out as a CredentialError (context prefixed where it was not one yet) whose
 * message has every key and session token this mint held replaced by "[REDACTED]".
 */
export async function withSourceCredentials<T>(
  base: BaseIdentity,
  spec: AwsIdentitySpec,
  factories: AwsClientFactories,
  access: SourceAccess,
  context: string,
  call: (credentials: AwsCredentialSource) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const held: (string | undefined)[] =
    base.kind === "secret" ? [base.credentials.secretAccessKey, base.credentials.sessionToken] : [];
  try {
    const credentials = await credentialsFor(base, spec, factories, access, signal);
    if (typeof credentials !== "function") held.push(credentials.secretAccessKey, credentials.sessionToken);
    return await call(credentials);
  } catch (error) {
    // Whatever AWS quotes back, the keys this mint held never reach a message.
    throw withoutKnownValues(error, context, held);
  }
}
