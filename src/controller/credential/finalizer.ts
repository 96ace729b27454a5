import type { V1ObjectMeta } from "@kubernetes/client-node";
import type { CredentialObjectsApi } from "../../kube/ports.js";
import { mergePatchObject, type ObjectRef } from "./custom-objects.js";

const finalizerName = "regcred.dev/cleanup";

export function hasFinalizer(meta: V1ObjectMeta): boolean {
  return meta.finalizers?.includes(finalizerName) ?? false;
}

/**
 * Adds or removes this operator's finalizer. The patch carries the observed resourceVersion, so it
 * fails with 409 instead of clobbering a concurrent change to the finalizer list.
 */
export async function setFinalizer(
  objects: CredentialObjectsApi,
  ref: ObjectRef,
  meta: V1ObjectMeta,
  change: "add" | "remove",
): Promise<void> {
  const others = (meta.finalizers ?? []).filter((f) => f !== finalizerName);
  const finalizers = change === "add" ? [...others, finalizerName] : others;
  await mergePatchObject(objects, ref, { metadata: { finalizers, resourceVersion: meta.resourceVersion } });
}
