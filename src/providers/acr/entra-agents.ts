// Sends @azure/identity's requests (Entra, managed identity) through the operator's agents.
import type { ClientSecretCredentialOptions } from "@azure/identity";
import type { ProxyAgents } from "../../util/proxy-agents.js";

type AdditionalPolicy = NonNullable<ClientSecretCredentialOptions["additionalPolicies"]>[number];

/**
 * A pipeline policy that gives every request the agent for its URL. The pipeline's own proxy
 * policy then steps aside (it never replaces an agent a request carries), so Entra is reached with
 * Node's proxy rules and the agents' CA bundle; core-rest-pipeline's would drop `tlsOptions.ca` for
 * proxied requests and read NO_PROXY once per process.
 */
export function agentPolicy(agents: ProxyAgents): AdditionalPolicy {
  return {
    position: "perCall",
    policy: {
      name: "regcredProxyAgents",
      sendRequest(request, next) {
        request.agent = agents.agentFor(request.url);
        return next(request);
      },
    },
  };
}
