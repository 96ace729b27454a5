import type { DockerConfigSource } from "../../api/v1alpha1.js";
import type { ProviderInfo } from "../provider.js";
import { validateDockerConfigSource } from "./validate.js";

const secretOf = (spec: DockerConfigSource) =>
  `${spec.secretRef.namespace ? `${spec.secretRef.namespace}/` : ""}${spec.secretRef.name}`;

/** What is known of a dockerConfig source without reading its Secret. */
export const dockerConfigInfo: ProviderInfo<DockerConfigSource> = {
  validate: validateDockerConfigSource,
  describe: (spec) => `dockerConfig Secret ${secretOf(spec)}`,
  referenceNamespace: (spec) => spec.secretRef.namespace,
  referencedSecrets: (spec) => [spec.secretRef.name],
  plannedLogins: (spec) => ({
    hosts: spec.hosts ? [...new Set(spec.hosts)] : [`<every registry of Secret ${secretOf(spec)}>`],
    username: `<from Secret ${secretOf(spec)}>`,
  }),
  // Any registry: the hosts are the Secret's.
  hostPatterns: [],
};
