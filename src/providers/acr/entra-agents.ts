// Sends @azure/identity's requests (Entra, managed identity) through the operator's agents, and
// keeps the network or TLS failure MSAL would hide behind a generic error code.
import type { ClientSecretCredentialOptions, TokenCredential } from "@azure/identity";
import { describeError } from "../../util/error-text.js";
import type { ProxyAgents } from "../../util/proxy-agents.js";

type AdditionalPolicy = NonNullable<ClientSecretCredentialOptions["additionalPolicies"]>[number];

/** One credential's way to Entra. */
export interface EntraTransport {
  /**
   * A pipeline policy that gives every request the agent for its URL. The pipeline's own proxy
   * policy then steps aside (it never replaces an agent a request carries), so Entra is reached
   * with Node's proxy rules and the agents' CA bundle; core-rest-pipeline's would drop
   * `tlsOptions.ca` for proxied requests and read NO_PROXY once per process.
   */
  readonly policy: AdditionalPolicy;
  /**
   * `credential`, built with `policy`, except that a getToken failing after a request got no answer
   * (refused, unresolvable, TLS, proxy) rejects with an Error naming the origin and that cause;
   * MSAL reports such failures of its metadata lookups only as `endpoints_resolution_error`.
   * Other failures and aborts reject as the credential's own.
   */
  wrap(credential: TokenCredential): TokenCredential;
}

export function entraTransport(agents: ProxyAgents): EntraTransport {
  let unanswered: string | undefined;
  return {
    policy: {
      position: "perCall",
      policy: {
        name: "regcredProxyAgents",
        async sendRequest(request, next) {
          request.agent = agents.agentFor(request.url);
          try {
            const response = await next(request);
            unanswered = undefined;
            return response;
          } catch (error) {
            if (!(error as { response?: unknown }).response)
              unanswered = `${new URL(request.url).origin} could not be reached: ${describeError(error)}`;
            throw error;
          }
        },
      },
    },
    wrap: (credential) => ({
      async getToken(scopes, options) {
        unanswered = undefined;
        try {
          return await credential.getToken(scopes, options);
        } catch (error) {
          if (unanswered === undefined || options?.abortSignal?.aborted) throw error;
          throw new Error(unanswered);
        }
      },
    }),
  };
}
