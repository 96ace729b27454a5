import { describe, expect, it } from "@jest/globals";
import type { GarSource } from "../../../../src/api/v1alpha1.js";
import { credentialErrorOf, garSpec, mint, poolAudience, targetAccount, withWorld } from "./fixtures.js";

const otherAudience =
  "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/tenants/providers/elsewhere";

function federated(audience = poolAudience, overrides: Partial<GarSource> = {}): GarSource {
  return garSpec({ auth: { serviceAccountRef: { name: "puller", audience } }, ...overrides });
}

describe("gar provider federating a Kubernetes ServiceAccount", () => {
  it(
    "requests a one-hour token for the pool audience and exchanges it at the STS",
    withWorld(async (world) => {
      world.access.putServiceAccount("puller");
      const [token] = await mint(world, federated());
      expect(world.access.tokenRequests).toEqual([
        { name: "puller", audience: poolAudience, expirationSeconds: 3600 },
      ]);
      expect(world.cloud.ledger.lookup(token?.password ?? "")).toMatchObject({
        issuer: "sts",
        principal: world.cloud.sts?.principalOf("system:serviceaccount:tenant-a:puller"),
        scopes: ["https://www.googleapis.com/auth/cloud-platform"],
      });
      expect(world.issuer.calls).toBe(1);
      expect(world.cloud.sts?.keyFetches).toBe(1);
    }),
  );

  it(
    "works without ambient identity, since it uses only the tenant's own ServiceAccount",
    withWorld(
      async (world) => {
        world.access.putServiceAccount("puller");
        await expect(mint(world, federated())).resolves.toHaveLength(1);
      },
      { ambientIdentityAllowed: false },
    ),
  );

  it(
    "impersonates the target service account with the federated token",
    withWorld(async (world) => {
      world.access.putServiceAccount("puller");
      world.cloud.iam.allow(
        world.cloud.sts?.principalOf("system:serviceaccount:tenant-a:puller") ?? "",
        targetAccount,
      );
      const [token] = await mint(
        world,
        federated(poolAudience, { impersonate: { serviceAccount: targetAccount } }),
      );
      expect(world.cloud.ledger.lookup(token?.password ?? "")?.principal).toBe(targetAccount);
    }),
  );

  it(
    "reports the STS's rejection of an audience it does not serve as a ProviderError",
    withWorld(async (world) => {
      world.access.putServiceAccount("puller");
      const error = await credentialErrorOf(mint(world, federated(otherAudience)));
      expect(error.reason).toBe("ProviderError");
      expect(error.message).toContain("invalid_target");
      expect(error.message).toContain("ServiceAccount tenant-a/puller");
    }),
  );

  it(
    "reports a missing ServiceAccount as AuthSecretMissing when resolving",
    withWorld(async (world) => {
      const error = await credentialErrorOf(world.provider.resolve(federated(), world.access));
      expect(error.reason).toBe("AuthSecretMissing");
    }),
  );

  it(
    "passes on a TokenRequest failure unchanged",
    withWorld(async (world) => {
      world.access.putServiceAccount("puller");
      const resolved = await world.provider.resolve(federated(), world.access);
      world.access.serviceAccounts.delete("puller");
      const error = await credentialErrorOf(resolved.mint());
      expect(error.reason).toBe("AuthSecretMissing");
      expect(world.cloud.sts?.calls).toBe(0);
    }),
  );

  it(
    "identifies the source by ServiceAccount uid and audience",
    withWorld(async (world) => {
      world.access.putServiceAccount("puller");
      const first = await world.provider.resolve(federated(), world.access);
      const other = await world.provider.resolve(federated(otherAudience), world.access);
      expect(first.identity).toBe(
        `gar|${garSpec().registries[0]}|sa:tenant-a/puller@uid-sa-puller|aud=${poolAudience}`,
      );
      expect(other.identity).not.toBe(first.identity);
    }),
  );
});
