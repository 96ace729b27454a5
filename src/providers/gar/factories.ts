// How the provider reaches Google: the endpoints it trusts, the HTTP seam for its own calls, and
// the google-auth-library clients for ambient and federated credentials. Tests swap any of them.
// google-auth-library is imported when its first client is asked for, so an operator none of whose
// sources uses Google never loads it.
import type {
  AwsClientOptions,
  ExternalAccountClientOptions,
  GoogleAuth,
  IdentityPoolClientOptions,
  PluggableAuthClientOptions,
} from "google-auth-library";
import { agentFetch } from "../../util/agent-fetch.js";
import { createProxyAgents } from "../../util/proxy-agents.js";
import { defaultGoogleEndpoints, type GoogleEndpoints } from "./endpoints.js";
import type { FetchLike } from "./google-errors.js";
import type { GoogleTokenClient } from "./token-client.js";

export interface GoogleClientFactories {
  readonly endpoints: GoogleEndpoints;
  /** Carries the provider's own calls: the JWT-bearer grant and IAM generateAccessToken. */
  readonly fetch: FetchLike;
  /**
   * The operator's Application Default Credentials (on GKE the metadata server, which honours
   * GCE_METADATA_HOST), for tokens of `scope`. Every getAccessToken() asks Google afresh.
   */
  ambientClient(scope: string): Promise<GoogleTokenClient>;
  /**
   * A workload identity federation client for options the provider has already checked against
   * `endpoints`. Rejects when google-auth-library rejects the options.
   */
  externalAccountClient(options: ExternalAccountClientOptions): Promise<GoogleTokenClient>;
}

/**
 * Makes every getAccessToken() refresh (a cached token would shrink each later refresh interval),
 * and bounds each HTTP request gaxios sends (STS exchanges, impersonation). The GKE metadata
 * server ignores this timeout; the provider's callers race every call against a deadline instead.
 */
const clientOptions = {
  eagerRefreshThresholdMillis: Number.MAX_SAFE_INTEGER,
  transporterOptions: { timeout: 30_000 },
};

/**
 * The client google-auth-library's ExternalAccountClient.fromJSON would build, without its warning
 * about unchecked configurations (the provider checks them first).
 */
async function externalAccountClient(given: ExternalAccountClientOptions): Promise<GoogleTokenClient> {
  const { AwsClient, IdentityPoolClient, PluggableAuthClient } = await import("./google-sdk.js");
  const options = { ...clientOptions, ...given };
  const source = (options as { credential_source?: Record<string, unknown> }).credential_source;
  if (source?.environment_id !== undefined) return new AwsClient(options as AwsClientOptions);
  if (source?.executable !== undefined) return new PluggableAuthClient(options as PluggableAuthClientOptions);
  return new IdentityPoolClient(options as IdentityPoolClientOptions);
}

/** The overrides that are set; an explicit undefined keeps the default. */
function definedOnly(endpoints: Partial<GoogleEndpoints>): Partial<GoogleEndpoints> {
  return Object.fromEntries(Object.entries(endpoints).filter(([, value]) => value !== undefined));
}

/**
 * Factories that talk to Google for real: Google's endpoints unless overridden, and one shared
 * GoogleAuth per scope (created on first use) for ambient credentials. The provider's own calls go
 * through agents that honour HTTPS_PROXY, HTTP_PROXY and NO_PROXY as set now (Node's rules, see
 * createProxyAgents); google-auth-library's calls (STS exchanges, its impersonation, the metadata
 * server) go through gaxios, which reads the same variables at each request with its own rules.
 */
export function defaultGoogleClientFactories(
  endpoints: Partial<GoogleEndpoints> = {},
): GoogleClientFactories {
  const auths = new Map<string, Promise<GoogleAuth>>();
  const agents = createProxyAgents();
  return {
    endpoints: { ...defaultGoogleEndpoints, ...definedOnly(endpoints) },
    fetch: agentFetch(agents),
    async ambientClient(scope) {
      let auth = auths.get(scope);
      if (!auth) {
        auth = import("./google-sdk.js").then(
          ({ GoogleAuth }) => new GoogleAuth({ scopes: [scope], clientOptions }),
        );
        auths.set(scope, auth);
      }
      return (await auth).getClient();
    },
    externalAccountClient,
  };
}
