import type { PullFailureAdvice } from "../provider.js";

/** What to do when a pod fails to pull from Azure Container Registry. */
export const acrPullAdvice: PullFailureAdvice = {
  credentialsRefused: (host) =>
    `ACR refused the login for ${host}: assign AcrPull on the registry to the identity (az role assignment create --role AcrPull --assignee CLIENT_ID --scope REGISTRY_RESOURCE_ID), or on a registry with repository permissions Container Registry Repository Reader on the repository; with workload identity the federated credential's subject must be system:serviceaccount:NAMESPACE:NAME with audience api://AzureADTokenExchange`,
  notFound: (host) =>
    `check the repository and tag (az acr repository show-tags --name ${host.split(".")[0]} --repository REPO)`,
  unreachable: (host) =>
    `nodes must reach ${host} and its data endpoints over HTTPS: egress, proxy or firewall; behind a private endpoint, the privatelink.azurecr.io DNS zone`,
};
