import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ApiException,
  ApiextensionsV1Api,
  CustomObjectsApi,
  type KubeConfig,
  loadYaml,
  type V1CustomResourceDefinition,
} from "@kubernetes/client-node";
import { waitFor } from "./wait.js";

export const crdDirectory = fileURLToPath(new URL("../../deploy/crds", import.meta.url));

/** The CRD manifests shipped under deploy/crds/. */
export function shippedCrds(): V1CustomResourceDefinition[] {
  return readdirSync(crdDirectory)
    .filter((file) => file.endsWith(".yaml"))
    .sort()
    .map((file) => loadYaml<V1CustomResourceDefinition>(readFileSync(join(crdDirectory, file), "utf8")));
}

/** Creates the CRD, or replaces the one of its name. Throws API errors. */
export async function applyCrd(api: ApiextensionsV1Api, crd: V1CustomResourceDefinition): Promise<void> {
  const name = crd.metadata?.name as string;
  try {
    await api.createCustomResourceDefinition({ body: crd });
  } catch (error) {
    if (!(error instanceof ApiException) || error.code !== 409) throw error;
    const existing = await api.readCustomResourceDefinition({ name });
    await api.replaceCustomResourceDefinition({
      name,
      body: { ...crd, metadata: { ...crd.metadata, resourceVersion: existing.metadata?.resourceVersion } },
    });
  }
}

/**
 * Creates (or replaces) every shipped CRD and waits until each is Established and its objects can
 * be listed (right after establishing, the apiserver may still answer 429 "storage is (re)initializing").
 */
export async function installCrds(kc: KubeConfig): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  for (const crd of shippedCrds()) {
    const name = crd.metadata?.name as string;
    await applyCrd(api, crd);
    await waitFor(`CRD ${name} to be Established`, async () => {
      const current = await api.readCustomResourceDefinition({ name });
      return (
        current.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false
      );
    });
    const objects = kc.makeApiClient(CustomObjectsApi);
    await waitFor(`${crd.spec.names.plural} to be listable`, async () => {
      await objects.listClusterCustomObject({
        group: crd.spec.group,
        version: crd.spec.versions[0]?.name as string,
        plural: crd.spec.names.plural,
      });
      return true;
    });
  }
}
