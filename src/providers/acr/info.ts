import type { AcrSource } from "../../api/v1alpha1.js";
import type { ProviderInfo } from "../provider.js";
import { acrPullAdvice } from "./pull-advice.js";
import { validateAcrSource } from "./validate.js";

/** The docker login user name ACR expects with a refresh or access token as password. */
export const acrUsername = "00000000-0000-0000-0000-000000000000";

/** What is known of an acr source without calling Azure. */
export const acrInfo: ProviderInfo<AcrSource> = {
  validate: validateAcrSource,
  describe: (spec) => `acr ${spec.registries.join(",")}`,
  referenceNamespace: (spec) => spec.auth?.secretRef?.namespace ?? spec.auth?.serviceAccountRef?.namespace,
  referencedSecrets: (spec) => (spec.auth?.secretRef ? [spec.auth.secretRef.name] : []),
  plannedLogins: (spec) => ({ hosts: [...new Set(spec.registries)], username: acrUsername }),
  // Azure's login servers; hosts an administrator adds with --acr-allowed-hosts are not known here,
  // so `regcred audit` does not claim them for acr.
  hostPatterns: [/^[a-z0-9][a-z0-9-]*\.azurecr\.(io|cn|us)$/],
  pullFailureAdvice: acrPullAdvice,
};
