// STS exchanges: a ServiceAccount token for role credentials, and role chaining.
import type { Credentials as StsCredentials } from "@aws-sdk/client-sts";
import type { AssumeRole } from "../../api/v1alpha1.js";
import { CredentialError } from "../errors.js";
import { awsCallError } from "./aws-errors.js";
import type { AwsClientFactories, AwsCredentialSource, AwsCredentials } from "./clients.js";

export const defaultSessionName = "registry-credential-operator";

/**
 * Exchanges a web identity token for the role's temporary credentials (an unsigned STS call).
 * Throws a retryable ProviderError naming the role when STS fails or returns no credentials.
 */
export async function assumeRoleWithWebIdentity(
  factories: AwsClientFactories,
  region: string,
  roleArn: string,
  webIdentityToken: string,
  signal?: AbortSignal,
): Promise<AwsCredentials> {
  const operation = `STS AssumeRoleWithWebIdentity for ${roleArn} in ${region}`;
  const { AssumeRoleWithWebIdentityCommand } = await import("./aws-sdk.js");
  const client = await factories.sts({ region });
  try {
    const output = await client.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: roleArn,
        RoleSessionName: defaultSessionName,
        WebIdentityToken: webIdentityToken,
      }),
      { abortSignal: signal },
    );
    return toCredentials(operation, output.Credentials);
  } catch (error) {
    throw awsCallError(operation, error);
  } finally {
    client.destroy();
  }
}

/**
 * Assumes `role` signing with `credentials`, passing ExternalId when set and the session name
 * (default "registry-credential-operator"). Throws a retryable ProviderError naming the role.
 */
export async function assumeRole(
  factories: AwsClientFactories,
  region: string,
  credentials: AwsCredentialSource,
  role: AssumeRole,
  signal?: AbortSignal,
): Promise<AwsCredentials> {
  const operation = `STS AssumeRole for ${role.roleArn} in ${region}`;
  const { AssumeRoleCommand } = await import("./aws-sdk.js");
  const client = await factories.sts({ region, credentials });
  try {
    const output = await client.send(
      new AssumeRoleCommand({
        RoleArn: role.roleArn,
        RoleSessionName: role.sessionName ?? defaultSessionName,
        ...(role.externalId === undefined ? {} : { ExternalId: role.externalId }),
      }),
      { abortSignal: signal },
    );
    return toCredentials(operation, output.Credentials);
  } catch (error) {
    throw awsCallError(operation, error);
  } finally {
    client.destroy();
  }
}

function toCredentials(operation: string, credentials: StsCredentials | undefined): AwsCredentials {
  if (!credentials?.AccessKeyId || !credentials.SecretAccessKey || !credentials.SessionToken) {
    throw new CredentialError("ProviderError", `${operation} returned no complete credentials`);
  }
  return {
    accessKeyId: credentials.AccessKeyId,
    secretAccessKey: credentials.SecretAccessKey,
    sessionToken: credentials.SessionToken,
    ...(credentials.Expiration ? { expiration: credentials.Expiration } : {}),
  };
}
