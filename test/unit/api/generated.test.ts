// Everything derived from the CRD templates in deploy/schema/ is current, and the templates define
// the parts both kinds share once.
import { describe, expect, it } from "@jest/globals";
import { staleFiles } from "../../../scripts/generate-api.js";
import { readCrds } from "../../../scripts/generate-api-reference.js";

const sourcesOf = (kind: string) => {
  const crd = readCrds().find((c) => c.spec.names.kind === kind);
  return JSON.stringify(
    crd?.spec.versions[0]?.schema?.openAPIV3Schema?.properties?.spec?.properties?.sources,
  );
};

describe("the files generated from deploy/schema/", () => {
  it("are current: the CRDs, the chart's copy, the API types and the API reference (run npm run generate)", async () => {
    expect(await staleFiles()).toEqual([]);
  }, 30_000);

  it("give only ClusterRegistryCredential references a namespace field", () => {
    expect(sourcesOf("ClusterRegistryCredential")).toContain('"namespace"');
    expect(sourcesOf("RegistryCredential")).not.toContain('"namespace"');
  });
});
