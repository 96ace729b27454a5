// ESO's CRDs, from the release's own deploy/crds/bundle.yaml in the Go module cache.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ApiException,
  ApiextensionsV1Api,
  type KubeConfig,
  loadAllYaml,
  type V1CustomResourceDefinition,
} from "@kubernetes/client-node";
import { sleep } from "./eso-process.js";

/**
 * Creates (or replaces) every CRD of the bundle and resolves once each is Established. Throws
 * when the bundle is missing or a CRD is refused, or after 60 s per CRD.
 */
export async function installEsoCrds(kc: KubeConfig, moduleDir: string): Promise<number> {
  const bundle = join(moduleDir, "deploy", "crds", "bundle.yaml");
  const crds = (loadAllYaml(readFileSync(bundle, "utf8")) as V1CustomResourceDefinition[]).filter(
    (doc) => doc?.kind === "CustomResourceDefinition",
  );
  const api = kc.makeApiClient(ApiextensionsV1Api);
  for (const crd of crds) {
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
  for (const crd of crds) {
    const name = crd.metadata?.name as string;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const current = await api.readCustomResourceDefinition({ name });
      if (current.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
      if (Date.now() > deadline) throw new Error(`ESO CRD ${name} was not Established within 60 s`);
      await sleep(100);
    }
  }
  return crds.length;
}
