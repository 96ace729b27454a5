import { describe, expect, it } from "@jest/globals";
import { generateApiReference, readCrds } from "../../../scripts/generate-api-reference.js";

describe("docs/api-reference.md", () => {
  it("documents every field path, CEL message and printer column of both kinds", () => {
    const text = generateApiReference(readCrds());
    for (const fragment of [
      "## RegistryCredential",
      "## ClusterRegistryCredential",
      "`spec.sources[].ecr.auth.secretRef.name`",
      "`spec.sources[].gar.auth.serviceAccountRef.audience`",
      "`spec.serviceAccounts.selector.matchExpressions[].operator`",
      "`spec.namespaces.exclude`",
      "auth must set exactly one of secretRef and serviceAccountRef",
      "minInterval must be at least 10s",
      "`.status.nextRefreshTime`",
      "`.status.namespaces.inSync`",
    ]) {
      expect(text).toContain(fragment);
    }
  });
});
