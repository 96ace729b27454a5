// ECR GetAuthorizationToken, and its answer as registry logins.
import type { AuthorizationData } from "@aws-sdk/client-ecr";
import type { EcrHostForm } from "../../api/v1alpha1.js";
import { CredentialError } from "../errors.js";
import type { RegistryToken } from "../provider.js";
import { awsCallError } from "./aws-errors.js";
import type { AwsClientFactories, AwsCredentialSource } from "./clients.js";
import { accountOfRegistryHost, defaultHostForms, registryHost } from "./host-forms.js";
import { decodeAuthorizationToken, hostOfProxyEndpoint } from "./hosts.js";

export interface AuthorizationTokenRequest {
  region: string;
  /** Passed to ECR when set; ECR otherwise answers for the caller's own account. */
  registryIds?: string[];
  /** The host forms to write for each account; default Standard. */
  hostForms?: readonly EcrHostForm[];
  credentials: AwsCredentialSource;
}

/** One authorizationData entry: the account its proxyEndpoint names, and its login. */
interface AccountLogin {
  account: string;
  login: Omit<RegistryToken, "host">;
}

/**
 * Calls GetAuthorizationToken once and returns one login per account and host form, with ECR's
 * expiresAt as reported (even when already past). The accounts are registryIds when set, else those
 * ECR answered for (the caller's own). ECR's token is regional, valid for every registry of the
 * region the principal may reach: an account ECR answered for gets its own entry's token, a listed
 * account it did not answer for the first entry's. Hosts are derived from account, region and form
 * (registryHost); a proxyEndpoint only names its account. Throws a retryable ProviderError when the
 * call fails (naming the AWS error) or when any entry is unusable or ECR answers with none.
 */
export async function getAuthorizationTokens(
  factories: AwsClientFactories,
  request: AuthorizationTokenRequest,
  signal?: AbortSignal,
): Promise<RegistryToken[]> {
  const operation = `ECR GetAuthorizationToken in ${request.region}`;
  const { GetAuthorizationTokenCommand } = await import("./aws-sdk.js");
  const client = await factories.ecr({ region: request.region, credentials: request.credentials });
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
  const answered = new Map<string, AccountLogin["login"]>();
  data.forEach((entry, index) => {
    const { account, login } = toAccountLogin(
      entry,
      `authorizationData[${index}] (GetAuthorizationToken in ${request.region})`,
    );
    if (!answered.has(account)) answered.set(account, login);
  });
  const accounts = request.registryIds?.length ? [...new Set(request.registryIds)] : [...answered.keys()];
  const forms = request.hostForms?.length ? [...new Set(request.hostForms)] : defaultHostForms;
  const regional = [...answered.values()];
  return accounts.flatMap((account) => {
    const login = answered.get(account) ?? regional[0];
    if (!login) return [];
    return forms.map((form) => ({ host: registryHost(account, request.region, form), ...login }));
  });
}

function toAccountLogin(entry: AuthorizationData, where: string): AccountLogin {
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
  const account = accountOfRegistryHost(host);
  if (!account) {
    throw new CredentialError(
      "ProviderError",
      `ECR returned a proxyEndpoint that is not a private ECR registry host (<12-digit account>.dkr.ecr.<region>...) in ${where}`,
    );
  }
  const expiresAt = entry.expiresAt && !Number.isNaN(entry.expiresAt.getTime()) ? entry.expiresAt : undefined;
  return { account, login: { ...login, ...(expiresAt ? { expiresAt } : {}) } };
}
