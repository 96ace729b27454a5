import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { group, version } from "../../api/v1alpha1.js";
import type { CredentialObjectsApi } from "../../kube/ports.js";

/** Where a custom object lives: namespace is omitted for cluster-scoped kinds. */
export interface ObjectRef {
  plural: string;
  name: string;
  namespace?: string;
}

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** Applies a JSON merge patch to the object (or to its status subresource). Throws ApiException. */
export async function mergePatchObject(
  objects: CredentialObjectsApi,
  ref: ObjectRef,
  body: object,
  subresource: "status" | undefined = undefined,
): Promise<unknown> {
  const common = { group, version, plural: ref.plural, name: ref.name, body };
  if (ref.namespace) {
    const params = { ...common, namespace: ref.namespace };
    return subresource === "status"
      ? objects.patchNamespacedCustomObjectStatus(params, mergePatch)
      : objects.patchNamespacedCustomObject(params, mergePatch);
  }
  return subresource === "status"
    ? objects.patchClusterCustomObjectStatus(common, mergePatch)
    : objects.patchClusterCustomObject(common, mergePatch);
}
