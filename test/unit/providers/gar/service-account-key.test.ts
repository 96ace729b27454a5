import { describe, expect, it } from "@jest/globals";
import { createGarProvider, defaultGoogleClientFactories } from "../../../../src/providers/gar/provider.js";
import { oauthError } from "../../../fakes/google/fake-server.js";
import { makeServiceAccountKey } from "../../../fakes/google/service-account-key.js";
import { credentialErrorOf, garSpec, mint, registry, secretSpec, withWorld } from "./fixtures.js";

describe("gar provider with a service-account key in a Secret", () => {
  it(
    "mints one oauth2accesstoken login per host with the token endpoint's token and real expiry",
    withWorld(async (world) => {
      const before = Date.now();
      const tokens = await mint(world, secretSpec("gcp-key", { registries: [registry, "gcr.io"] }));
      const after = Date.now();

      expect(tokens.map((t) => t.host)).toEqual([registry, "gcr.io"]);
      for (const token of tokens) {
        expect(token.username).toBe("oauth2accesstoken");
        expect(world.cloud.ledger.lookup(token.password)).toMatchObject({
          principal: world.key.clientEmail,
          issuer: "oauth",
          // The narrowest scope a pull needs: the Secret's readers get no general Google token.
          scopes: ["https://www.googleapis.com/auth/devstorage.read_only"],
        });
        expect(token.expiresAt?.getTime()).toBeGreaterThanOrEqual(before + 3600_000);
        expect(token.expiresAt?.getTime()).toBeLessThanOrEqual(after + 3600_000);
      }
      expect(world.cloud.oauth.calls).toBe(1);
    }),
  );

  it(
    "reads the key from a custom Secret key",
    withWorld(async (world) => {
      world.access.putSecret("custom", { "sa.json": world.key.text });
      const spec = garSpec({ auth: { secretRef: { name: "custom", key: "sa.json" } } });
      const tokens = await mint(world, spec);
      expect(tokens).toHaveLength(1);
    }),
  );

  it(
    "reports the token endpoint's rejection of a key it does not know the public half of",
    withWorld(async (world) => {
      const impostor = makeServiceAccountKey({
        tokenUri: world.cloud.oauth.tokenUrl,
        clientEmail: world.key.clientEmail,
      });
      world.access.putSecret("impostor", { "credentials.json": impostor.text });
      const error = await credentialErrorOf(mint(world, secretSpec("impostor")));
      expect(error.reason).toBe("ProviderError");
      expect(error.message).toContain("HTTP 400: invalid_grant: Invalid JWT Signature.");
      expect(error.message).toContain(world.cloud.oauth.tokenUrl);
      expect(world.cloud.oauth.rejections).toBe(1);
    }),
  );

  it(
    "refuses a key whose token_uri the operator does not allow, without sending it anything",
    withWorld(async (world) => {
      const elsewhere = makeServiceAccountKey({ tokenUri: "https://attacker.example/token" });
      world.access.putSecret("elsewhere", { "credentials.json": elsewhere.text });
      const error = await credentialErrorOf(world.provider.resolve(secretSpec("elsewhere"), world.access));
      expect(error.reason).toBe("InvalidSpec");
      expect(error.message).toContain("token_uri (https://attacker.example/token)");
      expect(world.cloud.oauth.calls).toBe(0);
    }),
  );

  it(
    "refuses an allowed token endpoint reached over plain http on a non-loopback host",
    withWorld(async (world) => {
      const cleartext = makeServiceAccountKey({ tokenUri: "http://oauth2.googleapis.com/token" });
      world.access.putSecret("cleartext", { "credentials.json": cleartext.text });
      const provider = createGarProvider(
        defaultGoogleClientFactories({
          ...world.cloud.endpoints,
          allowedTokenUris: ["http://oauth2.googleapis.com/token"],
        }),
      );
      const error = await credentialErrorOf(provider.resolve(secretSpec("cleartext"), world.access));
      expect(error.reason).toBe("InvalidSpec");
    }),
  );

  it.each<[string, (key: Record<string, string>) => unknown, string]>([
    ["lacks client_email", ({ client_email: _, ...rest }) => rest, "lacks client_email"],
    [
      "has a client_email that is not an address",
      (key) => ({ ...key, client_email: "nobody" }),
      "not an email address",
    ],
    ["lacks private_key", ({ private_key: _, ...rest }) => rest, "lacks private_key"],
    [
      "has a truncated private key",
      (key) => ({ ...key, private_key: key.private_key?.slice(0, 200) }),
      "not a PEM-encoded private key",
    ],
    ["has an unknown type", (key) => ({ ...key, type: "gdch_service_account_xyz" }), "unsupported type"],
    ["has no type", ({ type: _, ...rest }) => rest, "has no type field"],
    [
      "holds end-user credentials",
      () => ({ type: "authorized_user", refresh_token: "r" }),
      "end-user credentials",
    ],
    ["is a JSON array", () => [1, 2], "not an object"],
  ])("reports a key that %s as InvalidSpec without quoting it", async (_name, garble, expected) =>
    withWorld(async (world) => {
      world.access.putSecret("gcp-key", { "credentials.json": JSON.stringify(garble(world.key.json)) });
      const error = await credentialErrorOf(world.provider.resolve(secretSpec(), world.access));
      expect(error.reason).toBe("InvalidSpec");
      expect(error.message).toContain("Secret tenant-a/gcp-key");
      expect(error.message).toContain(expected);
      expect(error.message).not.toContain(world.key.privateKeyPem.split("\n")[1]);
      expect(world.cloud.oauth.calls).toBe(0);
    })(),
  );

  it(
    "reports text that is not JSON as InvalidSpec without quoting it",
    withWorld(async (world) => {
      const garbage = "this-is-not-json-but-might-be-secret-0123456789";
      world.access.putSecret("gcp-key", { "credentials.json": garbage });
      const error = await credentialErrorOf(world.provider.resolve(secretSpec(), world.access));
      expect(error.reason).toBe("InvalidSpec");
      expect(error.message).toContain('key "credentials.json" does not hold JSON');
      expect(error.message).not.toContain(garbage);
    }),
  );

  it(
    "names the Secret and the missing key, and lists the keys it has",
    withWorld(async (world) => {
      world.access.putSecret("gcp-key", { "key.json": world.key.text });
      const error = await credentialErrorOf(world.provider.resolve(secretSpec(), world.access));
      expect(error.reason).toBe("InvalidSpec");
      expect(error.message).toContain(
        'Secret tenant-a/gcp-key has no key "credentials.json" (it has "key.json")',
      );
    }),
  );

  it(
    "reports a missing Secret as AuthSecretMissing",
    withWorld(async (world) => {
      const error = await credentialErrorOf(world.provider.resolve(secretSpec("absent"), world.access));
      expect(error.reason).toBe("AuthSecretMissing");
    }),
  );

  it.each<[string, unknown]>([
    ["no access_token", { expires_in: 3600, token_type: "Bearer" }],
    ["an empty access_token", { access_token: "", expires_in: 3600 }],
    ["no expires_in", { access_token: "ya29.some-token" }],
    ["a zero expires_in", { access_token: "ya29.some-token", expires_in: 0 }],
    ["a negative expires_in", { access_token: "ya29.some-token", expires_in: -60 }],
    ["a non-numeric expires_in", { access_token: "ya29.some-token", expires_in: "soon" }],
    ["a JSON array", ["ya29.some-token"]],
  ])("reports an answer with %s as a ProviderError", async (_name, body) =>
    withWorld(async (world) => {
      const resolved = await world.provider.resolve(secretSpec(), world.access);
      world.cloud.oauth.answerNonsense(body);
      const error = await credentialErrorOf(resolved.mint());
      expect(error.reason).toBe("ProviderError");
      expect(error.message).toContain("returned no usable access token");
      expect(error.message).not.toContain("ya29.some-token");
    })(),
  );

  it(
    "reports a 200 answer that is not JSON as a ProviderError",
    withWorld(async (world) => {
      const resolved = await world.provider.resolve(secretSpec(), world.access);
      world.cloud.oauth.answerNonsense("<html>captive portal</html>");
      const error = await credentialErrorOf(resolved.mint());
      expect(error.reason).toBe("ProviderError");
      expect(error.message).toContain("answered HTTP 200 with a body that is not JSON");
    }),
  );

  it(
    "reports an outage with Google's status and error text as a retryable ProviderError",
    withWorld(async (world) => {
      const resolved = await world.provider.resolve(secretSpec(), world.access);
      world.cloud.oauth.failWith(oauthError(500, "internal_failure", "Backend error."));
      const error = await credentialErrorOf(resolved.mint());
      expect(error.reason).toBe("ProviderError");
      expect(error.retryable).toBe(true);
      expect(error.message).toContain("failed with HTTP 500: internal_failure: Backend error.");
    }),
  );

  it(
    "reports an unreachable token endpoint as a ProviderError naming the cause",
    withWorld(async (world) => {
      const resolved = await world.provider.resolve(secretSpec(), world.access);
      await world.cloud.oauth.close();
      const error = await credentialErrorOf(resolved.mint());
      expect(error.reason).toBe("ProviderError");
      expect(error.message).toContain("ECONNREFUSED");
    }),
  );
});
