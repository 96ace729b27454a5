import type { PullFailureAdvice } from "../provider.js";

/** What to do when a pod fails to pull from Artifact Registry (or gcr.io, which it serves). */
export const garPullAdvice: PullFailureAdvice = {
  credentialsRefused: (host) =>
    `Artifact Registry refused the login for ${host}: grant roles/artifactregistry.reader on the repository or its project to the identity the registry sees: the Google service account (gcloud artifacts repositories add-iam-policy-binding REPO --location LOCATION --member serviceAccount:SA --role roles/artifactregistry.reader), or with Workload Identity and no impersonate the federated principal principal://iam.googleapis.com/projects/PROJECT_NUMBER/locations/global/workloadIdentityPools/POOL/subject/system:serviceaccount:NAMESPACE:NAME; with impersonate that principal needs roles/iam.workloadIdentityUser (or roles/iam.serviceAccountTokenCreator) on the reader service account. A disabled service account or a deleted key shows the same: fix it, or update the source's Secret`,
  notFound: (host) =>
    `check the path ${host}/PROJECT/REPOSITORY/IMAGE:TAG (gcloud artifacts docker images list ${host}/PROJECT/REPOSITORY --include-tags); the host's location must be the repository's; Artifact Registry also answers so for a repository the identity may not see`,
  unreachable: (host) =>
    `nodes must reach ${host} over HTTPS: egress, proxy or firewall, or Private Google Access for nodes without external addresses`,
};
