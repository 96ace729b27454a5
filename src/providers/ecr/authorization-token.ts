// ECR GetAuthorizationToken, and its answer as registry logins.
import { type AuthorizationData, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import { CredentialError } from "../errors.js";
import type { RegistryToken } from "../provider.js";
import { awsCallError } from "./aws-errors.js";
import type { AwsClientFactories, AwsCredentialSource } from "./clients.js";
import { decodeAuthorizationToken, hostOfProxyEndpoint } from "./hosts.js";

export interface AuthorizationTokenRequest {
  region: string;
  /** Passed to ECR when set; ECR otherwise answers for the caller's own account. */
  registryIds?: string[];
  credentials: AwsCredentialSource;
}

/**
 * Calls GetAuthorizationToken and returns one login per registry host, with ECR's expiresAt as
 * reported (even when already past). Throws a retryable ProviderError when the call fails
 * (naming the AWS error) or when ECR answers with no usable entry.
 */
export async function getAuthorizationTokens(
  factories: AwsClientFactories,
  request: AuthorizationTokenRequest,
  signal?: AbortSignal,
): Promise<RegistryToken[]> {
  const operation = `ECR GetAuthorizationToken in ${request.region}`;
  const client = factories.ecr({ region: request.region, credentials: request.credentials });
  let data: AuthorizationData[] | undefined;
  try {
    const output = await client.send(
      new GetAuthorizationTokenCommand(
        request.registryIds?.length ? { registryIds: request.registryIds } : {},
      ),
      { abortSignal: signal },
    );
    data = output.authorizationData;
  } catch (error) {
    throw awsCallError(operation, error);
  } finally {
    client.destroy();
  }
  if (!data || data.length === 0) {
    throw new CredentialError(
      "ProviderError",
      `ECR returned no authorizationData (GetAuthorizationToken in ${request.region})`,
    );
  }
  const tokens = new Map<string, RegistryToken>();
  data.forEach((entry, index) => {
    const token = toRegistryToken(
      entry,
      `authorizationData[${index}] (GetAuthorizationToken in ${request.region})`,
    );
    tokens.set(token.host, token);
  });
  return [...tokens.values()];
}

function toRegistryToken(entry: AuthorizationData, where: string): RegistryToken {
  if (!entry.authorizationToken) {
    throw new CredentialError("ProviderError", `ECR returned no authorizationToken in ${where}`);
  }
  const login = decodeAuthorizationToken(entry.authorizationToken);
  if (!login) {
    throw new CredentialError(
      "ProviderError",
      `ECR returned an authorizationToken that is not base64 of "<username>:<password>" in ${where}`,
    );
  }
  if (!entry.proxyEndpoint) {
    throw new CredentialError("ProviderError", `ECR returned no proxyEndpoint in ${where}`);
  }
  const host = hostOfProxyEndpoint(entry.proxyEndpoint);
  if (!host) {
    throw new CredentialError(
      "ProviderError",
      `ECR returned a proxyEndpoint that is not an https URL of a host in ${where}`,
    );
  }
  const expiresAt = entry.expiresAt && !Number.isNaN(entry.expiresAt.getTime()) ? entry.expiresAt : undefined;
  return { host, ...login, ...(expiresAt ? { expiresAt } : {}) };
}
