import type { GarSource } from "../../api/v1alpha1.js";
import type { ProviderInfo } from "../provider.js";
import { garPullAdvice } from "./pull-advice.js";
import { validateGarSource } from "./validate.js";

/** The docker login user name Google registries expect with an access token as password. */
export const googleRegistryUsername = "oauth2accesstoken";

/** What is known of a gar source without calling Google. */
export const garInfo: ProviderInfo<GarSource> = {
  validate: validateGarSource,
  describe: (spec) => `gar ${spec.registries.join(",")}`,
  referenceNamespace: (spec) => spec.auth?.secretRef?.namespace ?? spec.auth?.serviceAccountRef?.namespace,
  referencedSecrets: (spec) => (spec.auth?.secretRef ? [spec.auth.secretRef.name] : []),
  plannedLogins: (spec) => ({ hosts: [...new Set(spec.registries)], username: googleRegistryUsername }),
  hostPatterns: [/^[a-z0-9-]+-docker\.pkg\.dev$/, /^([a-z0-9-]+\.)?gcr\.io$/],
  pullFailureAdvice: garPullAdvice,
};
