// ECR Public GetAuthorizationToken, and its answer as the public.ecr.aws login.
import type { AuthorizationData } from "@aws-sdk/client-ecr-public";
import { awsCallError } from "../ecr/aws-errors.js";
import type { AwsClientFactories, AwsCredentialSource } from "../ecr/clients.js";
import { decodeAuthorizationToken } from "../ecr/hosts.js";
import { CredentialError } from "../errors.js";
import type { RegistryToken } from "../provider.js";

/** The one registry host ECR Public serves. */
export const publicRegistryHost = "public.ecr.aws";
/** The region whose ecr-public API issues tokens for public.ecr.aws. */
export const publicApiRegion = "us-east-1";

const permissionHint =
  "; an ECR Public login needs both ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken on Resource *";

/**
 * Calls ECR Public's GetAuthorizationToken in us-east-1 and returns the public.ecr.aws login, with
 * its expiresAt as reported. Throws a retryable ProviderError when the call fails (naming the AWS
 * error, and the two IAM actions it needs when access is denied) or when the answer holds no
 * usable token.
 */
export async function getPublicAuthorizationToken(
  factories: AwsClientFactories,
  credentials: AwsCredentialSource,
  signal?: AbortSignal,
): Promise<RegistryToken> {
  const operation = `ECR Public GetAuthorizationToken in ${publicApiRegion}`;
  const { GetPublicAuthorizationTokenCommand: GetAuthorizationTokenCommand } = await import(
    "../ecr/aws-sdk.js"
  );
  const client = await factories.ecrPublic({ region: publicApiRegion, credentials });
  let data: AuthorizationData | undefined;
  try {
    const output = await client.send(new GetAuthorizationTokenCommand({}), { abortSignal: signal });
    data = output.authorizationData;
  } catch (error) {
    const failure = awsCallError(operation, error);
    if (!(error instanceof Error && /AccessDenied/.test(error.name))) throw failure;
    throw new CredentialError(failure.reason, `${failure.message}${permissionHint}`, failure.retryable);
  } finally {
    client.destroy();
  }
  if (!data?.authorizationToken) {
    throw new CredentialError("ProviderError", `ECR Public returned no authorizationToken (${operation})`);
  }
  const login = decodeAuthorizationToken(data.authorizationToken);
  if (!login) {
    throw new CredentialError(
      "ProviderError",
      `ECR Public returned an authorizationToken that is not base64 of "<username>:<password>" (${operation})`,
    );
  }
  const expiresAt = data.expiresAt && !Number.isNaN(data.expiresAt.getTime()) ? data.expiresAt : undefined;
  return { host: publicRegistryHost, ...login, ...(expiresAt ? { expiresAt } : {}) };
}
