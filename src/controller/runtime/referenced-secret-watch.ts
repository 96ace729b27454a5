import { type CoreV1Api, type KubeConfig, setHeaderOptions } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { MetadataWatch, partialObjectMetadataList } from "../../kube/metadata-watch.js";
import type { SecretReferences } from "./secret-references.js";

/** Secrets listed per page. */
const pageSize = 500;

/**
 * The watch that keeps `references` told of every creation, change and deletion of a Secret it
 * names, in `namespace` (every namespace when undefined): one metadata-only list+watch of Secrets
 * that drops every other Secret's events on arrival and caches nothing, so memory follows the
 * referenced Secrets, not the cluster's. Uses the list and watch on Secrets the operator holds
 * already. Created unstarted.
 */
export function referencedSecretWatch(
  kc: KubeConfig,
  core: CoreV1Api,
  namespace: string | undefined,
  references: SecretReferences,
  logger: Logger,
): MetadataWatch {
  const metadataOnly = setHeaderOptions("Accept", partialObjectMetadataList);
  return new MetadataWatch(
    kc,
    namespace ? `/api/v1/namespaces/${namespace}/secrets` : "/api/v1/secrets",
    (next) => {
      const query = { limit: pageSize, ...(next ? { _continue: next } : {}) };
      return namespace
        ? core.listNamespacedSecret({ namespace, ...query }, metadataOnly)
        : core.listSecretForAllNamespaces(query, metadataOnly);
    },
    {
      keep: (ns, name) => references.isReferenced(ns, name),
      changed: (ns, name, resourceVersion) => void references.observe(ns, name, resourceVersion),
      listed: (present, initial) => references.listed(present, initial),
    },
    logger,
  );
}
