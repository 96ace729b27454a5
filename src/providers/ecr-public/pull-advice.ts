import type { PullFailureAdvice } from "../provider.js";

/** What to do when a pod fails to pull from ECR Public. */
export const ecrPublicPullAdvice: PullFailureAdvice = {
  credentialsRefused: (host) =>
    `${host} refused the login: the identity needs ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken (the ecr-public API is in us-east-1); public repositories pull anonymously too, so an expired or revoked token in the Secret is the usual cause: "regcred rotate" mints afresh`,
  notFound: (host) =>
    `check the gallery alias, repository and tag (${host}/ALIAS/REPO:TAG, e.g. in the ECR Public Gallery)`,
  unreachable: (host) => `nodes must reach ${host} over HTTPS: egress, proxy or firewall`,
};
