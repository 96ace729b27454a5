// ESO's CRDs, from the release's own deploy/crds/bundle.yaml in the Go module cache.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ApiextensionsV1Api,
  type KubeConfig,
  loadAllYaml,
  type V1CustomResourceDefinition,
} from "@kubernetes/client-node";
import { applyCrd } from "../../test/support/crds.js";
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
  for (const crd of crds) await applyCrd(api, crd);
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
