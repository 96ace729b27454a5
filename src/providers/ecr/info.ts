import type { EcrSource } from "../../api/v1alpha1.js";
import type { ProviderInfo } from "../provider.js";
import { registryHostPatterns, registryHosts } from "./host-forms.js";
import { ecrPullAdvice } from "./pull-advice.js";
import { ecrMintRate } from "./quota.js";
import { validateEcrSource } from "./validate.js";

/** Stands in for the ECR caller's account id until a mint reveals it. */
export const callerAccountPlaceholder = "<caller account>";

/** What is known of an ecr source without calling AWS. */
export const ecrInfo: ProviderInfo<EcrSource> = {
  validate: validateEcrSource,
  describe: (spec) => `ecr ${spec.region}`,
  referenceNamespace: (spec) => spec.auth?.secretRef?.namespace ?? spec.auth?.serviceAccountRef?.namespace,
  referencedSecrets: (spec) => (spec.auth?.secretRef ? [spec.auth.secretRef.name] : []),
  plannedLogins(spec) {
    const accounts = spec.registryIds?.length ? [...new Set(spec.registryIds)] : [callerAccountPlaceholder];
    const forms = spec.hostForms?.length ? [...new Set(spec.hostForms)] : undefined;
    return { hosts: registryHosts(accounts, spec.region, forms), username: "AWS" };
  },
  hostPatterns: registryHostPatterns,
  pullFailureAdvice: ecrPullAdvice,
  mintRate: ecrMintRate,
};
