// How the acr provider reaches Azure: @azure/identity credentials for the Entra leg, the bounded
// HTTPS client for the registry leg, and the hosts it may send Entra tokens to. Tests swap any of
// them. @azure/identity is imported when the first credential is asked for, so an operator none of
// whose sources uses Azure never loads it.
import type { TokenCredential } from "@azure/identity";
import { createProxyAgents } from "../../util/proxy-agents.js";
import { type EntraTransport, entraTransport } from "./entra-agents.js";
import { defaultAcrAllowedHosts } from "./host-allow-list.js";
import { createRegistryHttp, type RegistryHttp } from "./registry-http.js";

export interface AzureClientFactories {
  /** Registry hosts (as specs name them) an Entra token may be sent to; see isAllowedRegistryHost. */
  readonly allowedRegistryHosts: readonly string[];
  /** The tenant of sources that name none (the operator's AZURE_TENANT_ID), if any. */
  readonly defaultTenantId: string | undefined;
  /** Carries every call to a registry. */
  readonly http: RegistryHttp;
  /** Where the registry `host` is reached; https://<host> outside tests. */
  registryUrl(host: string): URL;
  /** An Entra application or managed identity authenticated by a federated token from `assertion`. */
  clientAssertion(
    tenantId: string,
    clientId: string,
    assertion: () => Promise<string>,
  ): Promise<TokenCredential>;
  clientSecret(tenantId: string, clientId: string, secret: string): Promise<TokenCredential>;
  /** `pem` holds the certificate and its unencrypted private key. */
  clientCertificate(tenantId: string, clientId: string, pem: string): Promise<TokenCredential>;
  /**
   * The operator's own identity: its workload identity when AZURE_FEDERATED_TOKEN_FILE,
   * AZURE_CLIENT_ID and AZURE_TENANT_ID are set (the azure-workload-identity webhook sets them),
   * else its managed identity (AZURE_CLIENT_ID picks a user-assigned one).
   */
  ambient(): Promise<TokenCredential>;
}

export interface AzureOptions {
  /** Entra's endpoint; default AZURE_AUTHORITY_HOST, else https://login.microsoftonline.com. */
  authorityHost?: string;
  allowedRegistryHosts?: readonly string[];
  /** PEM bundle trusted for Entra and registries, beside Node's roots. */
  ca?: string;
  /** Registry host → base URL, for tests and private endpoints. */
  registryUrls?: Readonly<Record<string, string>>;
  /** The variables the ambient identity is read from; default process.env. */
  environment?: NodeJS.ProcessEnv;
}

const publicCloudAuthority = "https://login.microsoftonline.com";

/**
 * Factories that talk to Entra and the registries for real. Both legs honour HTTPS_PROXY,
 * HTTP_PROXY and NO_PROXY of process.env as set now (Node's rules, see createProxyAgents).
 */
export function defaultAzureClientFactories(options: AzureOptions = {}): AzureClientFactories {
  const environment = options.environment ?? process.env;
  const agents = createProxyAgents(options.ca ? { ca: options.ca } : {});
  const authorityHost = options.authorityHost ?? environment.AZURE_AUTHORITY_HOST ?? publicCloudAuthority;
  const credentialOptions = {
    authorityHost,
    // Instance discovery asks login.microsoftonline.com about the authority; a private or test
    // authority is trusted as configured instead.
    disableInstanceDiscovery: new URL(authorityHost).host !== new URL(publicCloudAuthority).host,
    ...(options.ca ? { tlsOptions: { ca: options.ca } } : {}),
    retryOptions: { maxRetries: 1 },
  };
  /**
   * `build` given @azure/identity and the options for one credential, with its own transport.
   * Rejects with what `build` throws (a constructor's refusal).
   */
  const credential = async (
    build: (
      identity: typeof import("./identity-sdk.js"),
      options: typeof credentialOptions & { additionalPolicies: [EntraTransport["policy"]] },
    ) => TokenCredential,
  ): Promise<TokenCredential> => {
    const identity = await import("./identity-sdk.js");
    const transport = entraTransport(agents);
    return transport.wrap(build(identity, { ...credentialOptions, additionalPolicies: [transport.policy] }));
  };
  const registryUrls = options.registryUrls ?? {};
  return {
    allowedRegistryHosts: options.allowedRegistryHosts ?? defaultAcrAllowedHosts,
    defaultTenantId: environment.AZURE_TENANT_ID || undefined,
    http: createRegistryHttp(options.ca ? { ca: options.ca } : {}),
    registryUrl: (host) => new URL(registryUrls[host] ?? `https://${host}`),
    clientAssertion: (tenantId, clientId, assertion) =>
      credential(
        (identity, options) => new identity.ClientAssertionCredential(tenantId, clientId, assertion, options),
      ),
    clientSecret: (tenantId, clientId, secret) =>
      credential(
        (identity, options) => new identity.ClientSecretCredential(tenantId, clientId, secret, options),
      ),
    clientCertificate: (tenantId, clientId, pem) =>
      credential(
        (identity, options) =>
          new identity.ClientCertificateCredential(tenantId, clientId, { certificate: pem }, options),
      ),
    ambient() {
      const {
        AZURE_FEDERATED_TOKEN_FILE: tokenFilePath,
        AZURE_CLIENT_ID: clientId,
        AZURE_TENANT_ID: tenantId,
      } = environment;
      if (tokenFilePath && clientId && tenantId)
        return credential(
          (identity, options) =>
            new identity.WorkloadIdentityCredential({ ...options, tokenFilePath, clientId, tenantId }),
        );
      return credential(
        (identity, options) =>
          new identity.ManagedIdentityCredential({ ...options, ...(clientId ? { clientId } : {}) }),
      );
    },
  };
}
