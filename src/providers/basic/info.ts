import type { BasicSource } from "../../api/v1alpha1.js";
import type { ProviderInfo } from "../provider.js";
import { defaultBasicKeys, validateBasicSource } from "./validate.js";

/** What is known of a basic source without reading its Secret. */
export const basicInfo: ProviderInfo<BasicSource> = {
  validate: validateBasicSource,
  describe: (spec) => `basic ${spec.registries.join(",")}`,
  referenceNamespace: (spec) => spec.secretRef.namespace,
  referencedSecrets: (spec) => [spec.secretRef.name],
  plannedLogins: (spec) => ({
    hosts: [...new Set(spec.registries)],
    username:
      spec.username ??
      `<key ${spec.secretRef.usernameKey ?? defaultBasicKeys.username} of Secret ${spec.secretRef.name}>`,
  }),
  // Any registry: the hosts are the spec's, and render plans them exactly.
  hostPatterns: [],
};
