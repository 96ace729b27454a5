import { type CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { group, rotateAnnotation, version } from "../api/v1alpha1.js";

/** A credential resource to rotate: a RegistryCredential with its namespace, a ClusterRegistryCredential without. */
export interface RotationTarget {
  plural: string;
  name: string;
  namespace?: string;
}

/**
 * Asks the operator to mint every source of `target` afresh and rewrite all its Secrets: sets the
 * rotate annotation to `value` (a value it has not had) by merge patch. Rejects with the
 * apiserver's error, such as 404 for a resource that does not exist.
 */
export function requestRotation(
  api: CustomObjectsApi,
  target: RotationTarget,
  value: string,
): Promise<unknown> {
  const params = { group, version, plural: target.plural, name: target.name };
  const body = { metadata: { annotations: { [rotateAnnotation]: value } } };
  const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
  return target.namespace
    ? api.patchNamespacedCustomObject({ ...params, namespace: target.namespace, body }, mergePatch)
    : api.patchClusterCustomObject({ ...params, body }, mergePatch);
}
