import type { PullFailureAdvice } from "../provider.js";
import { accountOfRegistryHost } from "./host-forms.js";

/** The region of a private ECR host in any form ("REGION" when it names none). */
function regionOf(host: string): string {
  return /\.dkr[.-]ecr(?:-fips)?\.([a-z0-9-]+)\./.exec(host)?.[1] ?? "REGION";
}

/** What to do when a pod fails to pull from a private ECR registry. */
export const ecrPullAdvice: PullFailureAdvice = {
  credentialsRefused: (host) =>
    `ECR refused the login for ${host}: the identity needs ecr:GetAuthorizationToken and, on the repository, ecr:BatchGetImage, ecr:GetDownloadUrlForLayer and ecr:BatchCheckLayerAvailability (its IAM policy, and a repository policy when account ${accountOfRegistryHost(host) ?? "ACCOUNT"} is not its own); the token is per region, so the source's region must be ${regionOf(host)}; a pull-through cache prefix also needs ecr:BatchImportUpstreamImage and ecr:CreateRepository. A token revoked early (a short STS session, a rotated key) is replaced by "regcred rotate"`,
  notFound: (host) =>
    `check that the repository and tag exist in account ${accountOfRegistryHost(host) ?? "ACCOUNT"}, region ${regionOf(host)} (aws ecr describe-images --region ${regionOf(host)} --repository-name REPO --image-ids imageTag=TAG); through a pull-through cache prefix the first pull also answers not found when the identity lacks ecr:BatchImportUpstreamImage or ecr:CreateRepository, or the upstream lacks the image`,
  unreachable: (host) =>
    `nodes must reach ${host} and S3 (layers) over HTTPS: egress, proxy or firewall, or in a private VPC the endpoints com.amazonaws.${regionOf(host)}.ecr.dkr and com.amazonaws.${regionOf(host)}.ecr.api and the S3 gateway endpoint`,
};
