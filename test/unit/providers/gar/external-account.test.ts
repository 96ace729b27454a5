import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "@jest/globals";
import {
  credentialErrorOf,
  type GarWorld,
  mint,
  poolAudience,
  secretSpec,
  targetAccount,
  withWorld,
} from "./fixtures.js";

type Json = Record<string, unknown>;

/**
 * Writes a subject token signed by the world's issuer to a temporary file and returns an
 * external_account configuration that reads it, as GKE-style file-sourced federation does.
 */
async function fileSourcedConfig(world: GarWorld, options: { foreignKey?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "gar-external-"));
  const file = join(dir, "token");
  const subject = "system:serviceaccount:operator:registry-credential-operator";
  writeFileSync(
    file,
    await world.issuer.sign(
      { sub: subject, aud: poolAudience },
      { withForeignKey: options.foreignKey ?? false },
    ),
  );
  const config: Json = {
    type: "external_account",
    audience: poolAudience,
    subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
    token_url: world.cloud.sts?.tokenUrl,
    credential_source: { file },
  };
  return { config, subject, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function impersonationUrl(world: GarWorld, account = targetAccount): string {
  return `${world.cloud.iam.url}/v1/projects/-/serviceAccounts/${account}:generateAccessToken`;
}

/** Runs `test` with an external_account configuration in Secret "federation". */
function withConfig(
  test: (world: GarWorld, config: Json, subject: string) => Promise<void>,
  options: { ambientIdentityAllowed?: boolean; foreignKey?: boolean } = {},
) {
  return withWorld(async (world) => {
    const { config, subject, cleanup } = await fileSourcedConfig(world, options);
    try {
      await test(world, config, subject);
    } finally {
      cleanup();
    }
  }, options);
}

function store(world: GarWorld, config: Json): void {
  world.access.putSecret("federation", { "credentials.json": JSON.stringify(config) });
}

describe("gar provider with an external_account configuration in a Secret", () => {
  it(
    "exchanges the file-sourced subject token at the STS and mints with the federated token",
    withConfig(async (world, config, subject) => {
      store(world, config);
      const [token] = await mint(world, secretSpec("federation"));
      expect(token?.username).toBe("oauth2accesstoken");
      expect(world.cloud.ledger.lookup(token?.password ?? "")).toMatchObject({
        issuer: "sts",
        principal: world.cloud.sts?.principalOf(subject),
      });
      expect(token?.expiresAt).toBeInstanceOf(Date);
      expect(world.cloud.sts?.calls).toBe(1);
    }),
  );

  it(
    "follows the configuration's own service_account_impersonation_url",
    withConfig(async (world, config, subject) => {
      world.cloud.iam.allow(world.cloud.sts?.principalOf(subject) ?? "", targetAccount);
      store(world, { ...config, service_account_impersonation_url: impersonationUrl(world) });
      const [token] = await mint(world, secretSpec("federation"));
      const record = world.cloud.ledger.lookup(token?.password ?? "");
      expect(record?.principal).toBe(targetAccount);
      expect(token?.expiresAt?.toISOString()).toBe(record?.expiresAt.toISOString());
    }),
  );

  it(
    "is forbidden when the operator's policy forbids ambient identity, and points to serviceAccountRef",
    withConfig(
      async (world, config) => {
        store(world, config);
        const error = await credentialErrorOf(world.provider.resolve(secretSpec("federation"), world.access));
        expect(error.reason).toBe("Forbidden");
        expect(error.message).toContain("operator's own environment");
        expect(error.message).toContain("auth.serviceAccountRef");
        expect(world.cloud.sts?.calls).toBe(0);
      },
      { ambientIdentityAllowed: false },
    ),
  );

  it.each<[string, (world: GarWorld, config: Json) => Json, string]>([
    [
      "exchanges tokens at another STS",
      (_w, config) => ({ ...config, token_url: "https://sts.attacker.example/v1/token" }),
      "exchanges tokens somewhere other than",
    ],
    [
      "relies on the default STS the operator does not use",
      (_w, { token_url: _, ...rest }) => rest,
      "somewhere other than",
    ],
    [
      "impersonates through another host",
      (_w, config) => ({
        ...config,
        service_account_impersonation_url: `https://attacker.example/v1/projects/-/serviceAccounts/${targetAccount}:generateAccessToken`,
      }),
      "service_account_impersonation_url outside",
    ],
    [
      "impersonates through a look-alike port",
      (w, config) => ({
        ...config,
        service_account_impersonation_url: impersonationUrl(w).replace(/:(\d+)\//, ":1$1/"),
      }),
      "service_account_impersonation_url outside",
    ],
    ["lacks audience", (_w, { audience: _, ...rest }) => rest, "lacks audience"],
    [
      "lacks subject_token_type",
      (_w, { subject_token_type: _, ...rest }) => rest,
      "lacks subject_token_type",
    ],
    ["lacks credential_source", (_w, { credential_source: _, ...rest }) => rest, "lacks a credential_source"],
    [
      "names both a file and a URL as its credential_source",
      (_w, config) => ({ ...config, credential_source: { file: "/x", url: "http://127.0.0.1:1/token" } }),
      "google-auth-library rejects",
    ],
  ])("reports a configuration that %s as InvalidSpec", async (_name, change, expected) =>
    withConfig(async (world, config) => {
      store(world, change(world, config));
      const error = await credentialErrorOf(world.provider.resolve(secretSpec("federation"), world.access));
      expect(error.reason).toBe("InvalidSpec");
      expect(error.message).toContain('Secret tenant-a/federation key "credentials.json"');
      expect(error.message).toContain(expected);
      expect(world.cloud.sts?.calls).toBe(0);
    })(),
  );

  it(
    "reports the STS's rejection of a subject token the issuer did not sign as a ProviderError",
    withConfig(
      async (world, config) => {
        store(world, config);
        const error = await credentialErrorOf(mint(world, secretSpec("federation")));
        expect(error.reason).toBe("ProviderError");
        expect(error.message).toContain("invalid_grant");
        expect(world.cloud.sts?.rejections).toBe(1);
      },
      { foreignKey: true },
    ),
  );

  it(
    "reports an STS answer without a token as a ProviderError",
    withConfig(async (world, config) => {
      store(world, config);
      world.cloud.sts?.answerNonsense({ token_type: "Bearer", expires_in: 3600 });
      const error = await credentialErrorOf(mint(world, secretSpec("federation")));
      expect(error.reason).toBe("ProviderError");
      expect(error.message).toContain("returned no usable access token");
    }),
  );
});
