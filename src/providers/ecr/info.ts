import type { EcrSource } from "../../api/v1alpha1.js";
import type { ProviderInfo } from "../provider.js";
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
    const accounts = spec.registryIds?.length ? spec.registryIds : [callerAccountPlaceholder];
    const suffix = spec.region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
    return {
      hosts: accounts.map((account) => `${account}.dkr.ecr.${spec.region}.${suffix}`),
      username: "AWS",
    };
  },
  hostPatterns: [/^[0-9]{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/],
};
