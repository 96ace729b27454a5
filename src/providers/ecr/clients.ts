// The seam between the ECR provider and the AWS SDK: every SDK client the provider uses comes from
// an AwsClientFactories, so tests can swap in fakes or point real clients at local endpoints. The
// SDK is imported only when a client is first asked for (a chunk of its own in the bundle), so an
// operator none of whose sources uses AWS never loads it.
import type { GetAuthorizationTokenCommand, GetAuthorizationTokenCommandOutput } from "@aws-sdk/client-ecr";
import type {
  GetAuthorizationTokenCommand as GetPublicAuthorizationTokenCommand,
  GetAuthorizationTokenCommandOutput as GetPublicAuthorizationTokenCommandOutput,
} from "@aws-sdk/client-ecr-public";
import type {
  AssumeRoleCommand,
  AssumeRoleCommandOutput,
  AssumeRoleWithWebIdentityCommand,
  AssumeRoleWithWebIdentityCommandOutput,
} from "@aws-sdk/client-sts";

/** AWS credentials; `expiration` is set for temporary ones. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** Fixed credentials, or a provider the SDK calls (and may cache) before signing. */
export type AwsCredentialSource = AwsCredentials | (() => Promise<AwsCredentials>);

/** @internal exported for its tests */
export interface SendOptions {
  abortSignal?: AbortSignal;
}

/**
 * The part of ECRClient the provider uses.
 * @internal exported for its tests
 */
export interface EcrClient {
  send(
    command: GetAuthorizationTokenCommand,
    options?: SendOptions,
  ): Promise<GetAuthorizationTokenCommandOutput>;
  destroy(): void;
}

/**
 * The part of ECRPUBLICClient the ecrPublic provider uses.
 * @internal exported for its tests
 */
export interface EcrPublicClient {
  send(
    command: GetPublicAuthorizationTokenCommand,
    options?: SendOptions,
  ): Promise<GetPublicAuthorizationTokenCommandOutput>;
  destroy(): void;
}

/**
 * The part of STSClient the provider uses.
 * @internal exported for its tests
 */
export interface StsClient {
  send(command: AssumeRoleCommand, options?: SendOptions): Promise<AssumeRoleCommandOutput>;
  send(
    command: AssumeRoleWithWebIdentityCommand,
    options?: SendOptions,
  ): Promise<AssumeRoleWithWebIdentityCommandOutput>;
  destroy(): void;
}

export interface AwsClientFactories {
  /** An ECR client for `region` that signs with `credentials`. */
  ecr(config: { region: string; credentials: AwsCredentialSource }): Promise<EcrClient>;
  /** An ECR Public client for `region` (the API is in us-east-1) that signs with `credentials`. */
  ecrPublic(config: { region: string; credentials: AwsCredentialSource }): Promise<EcrPublicClient>;
  /** An STS client for `region`; without credentials it sends unsigned requests (AssumeRoleWithWebIdentity). */
  sts(config: { region: string; credentials?: AwsCredentialSource }): Promise<StsClient>;
  /** The operator's own identity (the default credential chain); called only where policy allows it. */
  ambientCredentials(): AwsCredentialSource;
}

export interface DefaultAwsClientOptions {
  /**
   * Endpoint overrides, e.g. a local fake or moto. Omitted: the SDK resolves the endpoint itself,
   * honouring AWS_ENDPOINT_URL_ECR, AWS_ENDPOINT_URL_ECR_PUBLIC, AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL.
   */
  ecrEndpoint?: string;
  ecrPublicEndpoint?: string;
  stsEndpoint?: string;
  /** Attempts per AWS call, including the SDK's own retries of throttling and 5xx answers; default 3. */
  maxAttempts?: number;
}

/**
 * Bounds on one HTTP attempt, so a silent endpoint fails a mint instead of stalling it, and agent
 * options that honour HTTPS_PROXY, HTTP_PROXY and NO_PROXY (Node's `proxyEnv`; the SDK's own
 * handler ignores those variables). Each client builds its own agents from these options when it
 * is created (its destroy() ends them), so the variables are read then.
 */
const requestHandler = {
  connectionTimeout: 10_000,
  requestTimeout: 30_000,
  httpAgent: { proxyEnv: process.env },
  httpsAgent: { proxyEnv: process.env },
};

/**
 * Real SDK clients. The ambient chain (fromNodeProviderChain) is created once, so its credential
 * cache is shared by every source that uses it; the STS calls it makes itself (web identity, role
 * profiles) use the same request handler options. Its instance and container metadata lookups
 * (link-local addresses) never use a proxy.
 */
export function defaultAwsClientFactories(options: DefaultAwsClientOptions = {}): AwsClientFactories {
  const common = {
    requestHandler,
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  };
  let ambient: AwsCredentialSource | undefined;
  return {
    ecr: async ({ region, credentials }) =>
      new (await import("./aws-sdk.js")).ECRClient({
        ...common,
        region,
        credentials,
        ...(options.ecrEndpoint === undefined ? {} : { endpoint: options.ecrEndpoint }),
      }),
    ecrPublic: async ({ region, credentials }) =>
      new (await import("./aws-sdk.js")).ECRPUBLICClient({
        ...common,
        region,
        credentials,
        ...(options.ecrPublicEndpoint === undefined ? {} : { endpoint: options.ecrPublicEndpoint }),
      }),
    sts: async ({ region, credentials }) =>
      new (await import("./aws-sdk.js")).STSClient({
        ...common,
        region,
        ...(credentials === undefined ? {} : { credentials }),
        ...(options.stsEndpoint === undefined ? {} : { endpoint: options.stsEndpoint }),
      }),
    ambientCredentials: () => {
      ambient ??= lazyAmbientChain();
      return ambient;
    },
  };
}

/**
 * The default credential chain, imported and created on its first call; later calls use the same
 * chain (and its cache). Arguments the SDK passes go to the chain as they are.
 */
function lazyAmbientChain(): () => Promise<AwsCredentials> {
  let chain: ((...args: unknown[]) => Promise<AwsCredentials>) | undefined;
  return async (...args: unknown[]) => {
    chain ??= (await import("./aws-sdk.js")).fromNodeProviderChain({
      clientConfig: { requestHandler },
    }) as (...args: unknown[]) => Promise<AwsCredentials>;
    return chain(...args);
  };
}
