// The Google fakes refuse what the real endpoints refuse; otherwise the provider tests prove little.
import { createPrivateKey, sign } from "node:crypto";
import { describe, expect, it } from "@jest/globals";
import { poolAudience, withWorld } from "./fixtures.js";

const form = (values: Record<string, string>) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(values).toString(),
});

function assertion(claims: Record<string, unknown>, privateKeyPem: string): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const input = `${encode({ alg: "RS256", typ: "JWT" })}.${encode(claims)}`;
  return `${input}.${sign("sha256", Buffer.from(input), createPrivateKey(privateKeyPem)).toString("base64url")}`;
}

describe("the Google fakes", () => {
  it.each<[string, Record<string, string>]>([
    ["no Metadata-Flavor header", {}],
    ["a wrong Metadata-Flavor header", { "Metadata-Flavor": "Amazon" }],
    ["an X-Forwarded-For header", { "Metadata-Flavor": "Google", "X-Forwarded-For": "10.0.0.1" }],
  ])("metadata server refuses a request with %s", async (_name, headers) =>
    withWorld(async (world) => {
      const response = await fetch(
        `${world.cloud.metadata.url}/computeMetadata/v1/instance/service-accounts/default/token`,
        { headers },
      );
      expect(response.status).toBe(403);
      expect(response.headers.get("metadata-flavor")).toBe("Google");
      expect(world.cloud.metadata.calls).toBe(0);
    })(),
  );

  it.each<[string, (now: number, tokenUrl: string) => Record<string, unknown>, string]>([
    [
      "an assertion for another audience",
      (now) => ({ aud: "https://oauth2.googleapis.com/token", iat: now, exp: now + 3600 }),
      "Invalid JWT",
    ],
    ["an expired assertion", (now, aud) => ({ aud, iat: now - 7200, exp: now - 3600 }), "Invalid JWT"],
    ["an assertion valid for two hours", (now, aud) => ({ aud, iat: now, exp: now + 7200 }), "short-lived"],
    [
      "an assertion without a scope",
      (now, aud) => ({ aud, iat: now, exp: now + 3600, scope: "" }),
      "invalid_scope",
    ],
  ])("OAuth token endpoint refuses %s", async (_name, claims, expected) =>
    withWorld(async (world) => {
      const now = Math.floor(Date.now() / 1000);
      const token = assertion(
        {
          iss: world.key.clientEmail,
          scope: "https://www.googleapis.com/auth/cloud-platform",
          ...claims(now, world.cloud.oauth.tokenUrl),
        },
        world.key.privateKeyPem,
      );
      const response = await fetch(
        world.cloud.oauth.tokenUrl,
        form({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: token }),
      );
      expect(response.status).toBe(400);
      expect(JSON.stringify(await response.json())).toContain(expected);
      expect(world.cloud.oauth.rejections).toBe(1);
    })(),
  );

  it(
    "STS refuses an expired subject token from the trusted issuer",
    withWorld(async (world) => {
      const subjectToken = await world.issuer.sign({
        sub: "system:serviceaccount:a:b",
        aud: poolAudience,
        lifetimeSeconds: -60,
      });
      const response = await fetch(
        world.cloud.sts?.tokenUrl ?? "",
        form({
          grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
          audience: poolAudience,
          scope: "https://www.googleapis.com/auth/cloud-platform",
          requested_token_type: "urn:ietf:params:oauth:token-type:access_token",
          subject_token: subjectToken,
          subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
        }),
      );
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: "invalid_grant" });
    }),
  );

  it(
    "IAM Credentials refuses a call without a token any fake issued",
    withWorld(async (world) => {
      const response = await fetch(
        `${world.cloud.iam.url}/v1/projects/-/serviceAccounts/x@p.iam.gserviceaccount.com:generateAccessToken`,
        {
          method: "POST",
          headers: { authorization: "Bearer ya29.made-up", "content-type": "application/json" },
          body: JSON.stringify({ scope: ["https://www.googleapis.com/auth/cloud-platform"] }),
        },
      );
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: { status: "UNAUTHENTICATED" } });
    }),
  );
});
