// The gar provider against the shared provider contract, over real HTTP to the Google fakes:
// service-account key mode against the OAuth token fake, ambient mode against the metadata fake.
import type { GarSource } from "../../../src/api/v1alpha1.js";
import { describeProviderConformance } from "../../conformance/provider-conformance.js";
import { type GarWorld, garSpec, secretSpec, startGarWorld } from "./gar/fixtures.js";

const garbledKey = JSON.stringify({
  type: "service_account",
  client_email: "garbled@fake-project.iam.gserviceaccount.com",
  private_key:
    "-----BEGIN PRIVATE KEY-----\nR2FyYmxlZEtleU1hdGVyaWFsVGhhdE11c3ROZXZlckFwcGVhcjAxMjM0NTY3ODk=\n-----END PRIVATE KEY-----\n",
  token_uri: "https://oauth2.googleapis.com/token",
});

function secretValues(world: GarWorld): string[] {
  const keyLines = world.key.privateKeyPem
    .split("\n")
    .filter((line) => line.length > 0 && !line.startsWith("-----"));
  return [
    world.key.privateKeyPem,
    ...keyLines,
    garbledKey,
    "R2FyYmxlZEtleU1hdGVyaWFs",
    ...world.cloud.ledger.tokens(),
  ];
}

describeProviderConformance<GarSource>("gar", async () => {
  const world = await startGarWorld();
  world.access.putSecret("garbled", { "credentials.json": garbledKey });
  return {
    provider: world.provider,
    access: world.access,
    validSpec: secretSpec("gcp-key", { registries: ["europe-west1-docker.pkg.dev", "gcr.io"] }),
    secretName: "gcp-key",
    ambientSpec: garSpec(),
    garbledSecretSpec: secretSpec("garbled"),
    missingSecretSpec: secretSpec("absent"),
    invalidSpecs: [
      ["a spec without registries", garSpec({ registries: [] })],
      ["a spec with a Docker Hub host", garSpec({ registries: ["registry-1.docker.io"] })],
      ["a spec with an empty auth block", garSpec({ auth: {} })],
      [
        "a spec impersonating a user account",
        garSpec({ impersonate: { serviceAccount: "alice@example.com" } }),
      ],
    ],
    breakCloud: () => world.cloud.oauth.failWith(),
    makeCloudAnswerNonsense: () => world.cloud.oauth.answerNonsense({ token_type: "Bearer" }),
    secretValues: () => secretValues(world),
    close: () => world.close(),
  };
});
