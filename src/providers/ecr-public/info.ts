import type { EcrPublicSource } from "../../api/v1alpha1.js";
import { ecrMintRate } from "../ecr/quota.js";
import type { ProviderInfo } from "../provider.js";
import { publicRegistryHost } from "./authorization-token.js";
import { ecrPublicPullAdvice } from "./pull-advice.js";
import { validateEcrPublicSource } from "./validate.js";

/** What is known of an ecrPublic source without calling AWS. */
export const ecrPublicInfo: ProviderInfo<EcrPublicSource> = {
  validate: validateEcrPublicSource,
  describe: () => `ecrPublic ${publicRegistryHost}`,
  referenceNamespace: (spec) => spec.auth?.secretRef?.namespace ?? spec.auth?.serviceAccountRef?.namespace,
  referencedSecrets: (spec) => (spec.auth?.secretRef ? [spec.auth.secretRef.name] : []),
  plannedLogins: () => ({ hosts: [publicRegistryHost], username: "AWS" }),
  hostPatterns: [/^public\.ecr\.aws$/],
  pullFailureAdvice: ecrPublicPullAdvice,
  // ECR Public documents no GetAuthorizationToken rate: the private registry's lower figure.
  mintRate: ecrMintRate,
};
