// The acr provider against the shared provider contract, over https to the Entra and ACR fakes
// through the real @azure/identity: client-secret mode from a Secret.
import type { AcrSource } from "../../../src/api/v1alpha1.js";
import { describeProviderConformance } from "../../conformance/provider-conformance.js";
import { acrSpec, apps, registry, secondRegistry, secretSpec, startAcrWorld } from "./acr/fixtures.js";

describeProviderConformance<AcrSource>("acr", async () => {
  const world = await startAcrWorld();
  world.access.putSecret("garbled", { unrelated: "nothing here" });
  return {
    provider: world.provider,
    access: world.access,
    validSpec: secretSpec("azure-app", { registries: [registry, secondRegistry] }),
    secretName: "azure-app",
    ambientSpec: acrSpec(),
    garbledSecretSpec: secretSpec("garbled"),
    missingSecretSpec: secretSpec("absent"),
    invalidSpecs: [
      ["a spec without registries", acrSpec({ registries: [] })],
      [
        "a spec with a registry URL instead of a host",
        acrSpec({ registries: ["https://fakeregistry.azurecr.io/v2"] }),
      ],
      ["a spec with an empty auth block", acrSpec({ auth: {} })],
      [
        "a spec whose client ID is not a GUID",
        acrSpec({ auth: { serviceAccountRef: { name: "puller", clientId: "my-app" } } }),
      ],
      ["a spec with a repository carrying a tag", acrSpec({ repositories: ["team/app:latest"] })],
    ],
    breakCloud: () => world.cloud.entra.failWith({ status: 503, body: { error: "temporarily_unavailable" } }),
    makeCloudAnswerNonsense: () => {
      for (const fake of world.cloud.registries) fake.answerNonsense({ refresh_token: "not-a-jwt-at-all" });
    },
    secretValues: () => [
      apps.secret.secret,
      ...world.cloud.entra.issued,
      ...world.cloud.registries.flatMap((fake) => fake.issued),
    ],
    close: () => world.close(),
  };
});
