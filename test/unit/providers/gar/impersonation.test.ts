import { describe, expect, it } from "@jest/globals";
import { credentialErrorOf, type GarWorld, mint, secretSpec, targetAccount, withWorld } from "./fixtures.js";

const hop = "hop@broker-project.iam.gserviceaccount.com";

function impersonating(serviceAccount = targetAccount, delegates?: string[]) {
  return secretSpec("gcp-key", { impersonate: { serviceAccount, ...(delegates ? { delegates } : {}) } });
}

function allowKeyTo(world: GarWorld, target = targetAccount): void {
  world.cloud.iam.allow(world.key.clientEmail, target);
}

describe("gar provider impersonating a service account", () => {
  it(
    "trades the base token for the target's token, expiring at Google's expireTime",
    withWorld(async (world) => {
      allowKeyTo(world);
      const [token] = await mint(world, impersonating());
      const record = world.cloud.ledger.lookup(token?.password ?? "");
      expect(record).toMatchObject({ issuer: "iamcredentials", principal: targetAccount });
      // The written token can only pull; the key's own token, which only calls IAM, is cloud-platform.
      expect(record?.scopes).toEqual(["https://www.googleapis.com/auth/devstorage.read_only"]);
      expect(token?.expiresAt?.toISOString()).toBe(record?.expiresAt.toISOString());
      expect(world.cloud.oauth.calls).toBe(1);
      expect(world.cloud.iam.calls).toBe(1);
    }),
  );

  it(
    "impersonates through a delegation chain when every hop is allowed",
    withWorld(async (world) => {
      world.cloud.iam.allow(world.key.clientEmail, hop).allow(hop, targetAccount);
      const [token] = await mint(world, impersonating(targetAccount, [hop]));
      expect(world.cloud.ledger.lookup(token?.password ?? "")?.principal).toBe(targetAccount);
    }),
  );

  it.each<[string, (world: GarWorld) => void, string[] | undefined]>([
    ["the caller may not impersonate the target", () => {}, undefined],
    [
      "a delegate in the chain may not impersonate the target",
      (w) => w.cloud.iam.allow(w.key.clientEmail, hop),
      [hop],
    ],
  ])("reports PERMISSION_DENIED as a ProviderError when %s", async (_name, arrange, delegates) =>
    withWorld(async (world) => {
      arrange(world);
      const error = await credentialErrorOf(mint(world, impersonating(targetAccount, delegates)));
      expect(error.reason).toBe("ProviderError");
      expect(error.message).toContain(`IAM Credentials generateAccessToken for ${targetAccount}`);
      expect(error.message).toContain("HTTP 403: PERMISSION_DENIED");
    })(),
  );

  it.each<[string, unknown]>([
    ["no accessToken", { expireTime: new Date(Date.now() + 3600_000).toISOString() }],
    ["no expireTime", { accessToken: "ya29.impersonated" }],
    ["an unparsable expireTime", { accessToken: "ya29.impersonated", expireTime: "tomorrow" }],
    ["an expireTime in the past", { accessToken: "ya29.impersonated", expireTime: "2015-01-01T00:00:00Z" }],
  ])("reports an answer with %s as a ProviderError", async (_name, body) =>
    withWorld(async (world) => {
      allowKeyTo(world);
      world.cloud.iam.answerNonsense(body);
      const error = await credentialErrorOf(mint(world, impersonating()));
      expect(error.reason).toBe("ProviderError");
      expect(error.message).toContain("returned no usable access token");
    })(),
  );

  it(
    "is refused by IAM when the base token is not one Google issued",
    withWorld(async (world) => {
      allowKeyTo(world);
      const resolved = await world.provider.resolve(impersonating(), world.access);
      world.cloud.oauth.answerNonsense({ access_token: "ya29.forged", expires_in: 3600 });
      const error = await credentialErrorOf(resolved.mint());
      expect(error.message).toContain("HTTP 401: UNAUTHENTICATED");
    }),
  );

  it(
    "makes the impersonation target part of the identity",
    withWorld(async (world) => {
      const plain = await world.provider.resolve(secretSpec(), world.access);
      const impersonated = await world.provider.resolve(impersonating(), world.access);
      const delegated = await world.provider.resolve(impersonating(targetAccount, [hop]), world.access);
      expect(new Set([plain.identity, impersonated.identity, delegated.identity]).size).toBe(3);
      expect(impersonated.identity).toContain(`impersonate=${targetAccount}`);
    }),
  );
});
