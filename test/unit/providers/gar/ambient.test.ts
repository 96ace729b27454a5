import { describe, expect, it } from "@jest/globals";
import { unavailable } from "../../../fakes/google/fake-server.js";
import { credentialErrorOf, type GarWorld, garSpec, mint, withEnvironment, withWorld } from "./fixtures.js";

/** Points google-auth-library's ADC at the world's metadata fake, and at nothing else. */
function asOperatorOnGke<T>(world: GarWorld, run: () => Promise<T>): Promise<T> {
  return withEnvironment(
    {
      ...world.cloud.metadata.environment(),
      GCE_METADATA_IP: undefined,
      GOOGLE_APPLICATION_CREDENTIALS: undefined,
      // Known project: google-auth-library would otherwise run a local gcloud to look for one.
      GOOGLE_CLOUD_PROJECT: "fake-project",
    },
    run,
  );
}

describe("gar provider with ambient credentials", () => {
  it(
    "refuses to resolve when the operator's policy forbids ambient identity, and says why",
    withWorld(
      async (world) => {
        const error = await credentialErrorOf(world.provider.resolve(garSpec(), world.access));
        expect(error.reason).toBe("Forbidden");
        expect(error.retryable).toBe(false);
        expect(error.message).toContain("operator's own Google identity");
        expect(error.message).toContain("namespace tenant-a");
        expect(error.message).toContain("auth.secretRef or auth.serviceAccountRef");
        expect(world.cloud.metadata.calls).toBe(0);
      },
      { ambientIdentityAllowed: false },
    ),
  );

  it(
    "mints with the metadata server's token for the operator's service account",
    withWorld(async (world) =>
      asOperatorOnGke(world, async () => {
        const tokens = await mint(world, garSpec({ registries: ["gcr.io", "us-docker.pkg.dev"] }));
        expect(tokens.map((t) => [t.host, t.username])).toEqual([
          ["gcr.io", "oauth2accesstoken"],
          ["us-docker.pkg.dev", "oauth2accesstoken"],
        ]);
        const record = world.cloud.ledger.lookup(tokens[0]?.password ?? "");
        expect(record).toMatchObject({ issuer: "metadata", principal: world.cloud.metadata.email });
        expect(record?.scopes).toEqual(["https://www.googleapis.com/auth/devstorage.read_only"]);
        expect(tokens[0]?.expiresAt).toBeInstanceOf(Date);
      }),
    ),
  );

  it(
    "asks the metadata server afresh on every mint instead of reusing a cached token",
    withWorld(async (world) =>
      asOperatorOnGke(world, async () => {
        const resolved = await world.provider.resolve(garSpec(), world.access);
        const first = await resolved.mint();
        const second = await resolved.mint();
        expect(world.cloud.metadata.calls).toBe(2);
        expect(second[0]?.password).not.toBe(first[0]?.password);
      }),
    ),
  );

  it(
    "reports a metadata server outage as a ProviderError",
    withWorld(async (world) =>
      asOperatorOnGke(world, async () => {
        const resolved = await world.provider.resolve(garSpec(), world.access);
        world.cloud.metadata.failWith(unavailable(403));
        const error = await credentialErrorOf(resolved.mint());
        expect(error.reason).toBe("ProviderError");
        expect(error.message).toContain("Application Default Credentials");
        expect(error.message).toContain("403");
      }),
    ),
  );

  it(
    "reports a metadata answer without a token as a ProviderError",
    withWorld(async (world) =>
      asOperatorOnGke(world, async () => {
        const resolved = await world.provider.resolve(garSpec(), world.access);
        world.cloud.metadata.answerNonsense({ token_type: "Bearer" });
        const error = await credentialErrorOf(resolved.mint());
        expect(error.reason).toBe("ProviderError");
      }),
    ),
  );

  it(
    "refuses to write the operator's own token where only impersonated tokens may be written, and says what to do",
    withWorld(async (world) => {
      world.access.ambientAccessTokenAllowed = false;
      const error = await credentialErrorOf(world.provider.resolve(garSpec(), world.access));
      expect(error.reason).toBe("Forbidden");
      expect(error.retryable).toBe(false);
      expect(error.message).toContain("the operator's own Google access token");
      expect(error.message).toContain("impersonate.serviceAccount");
      expect(error.message).toContain("--allow-ambient-google-access-tokens");
      expect(world.cloud.metadata.calls).toBe(0);
    }),
  );

  it(
    "writes an impersonated reader's pull-only token there instead, minted with the operator's cloud-platform token",
    withWorld(async (world) =>
      asOperatorOnGke(world, async () => {
        world.access.ambientAccessTokenAllowed = false;
        const reader = "registry-reader@fake-project.iam.gserviceaccount.com";
        world.cloud.iam.allow(world.cloud.metadata.email, reader);
        const [token] = await mint(world, garSpec({ impersonate: { serviceAccount: reader } }));
        expect(world.cloud.ledger.lookup(token?.password ?? "")).toMatchObject({
          issuer: "iamcredentials",
          principal: reader,
          scopes: ["https://www.googleapis.com/auth/devstorage.read_only"],
        });
        expect(world.cloud.metadata.calls).toBe(1);
      }),
    ),
  );
});
