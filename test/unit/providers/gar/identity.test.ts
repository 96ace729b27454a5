import { describe, expect, it } from "@jest/globals";
import { garSpec, secretSpec, withWorld } from "./fixtures.js";

describe("gar provider identity", () => {
  it(
    "names hosts in sorted order, the Secret with its uid, version and key, and no key material",
    withWorld(async (world) => {
      const secret = world.access.secrets.get("gcp-key");
      const resolved = await world.provider.resolve(
        secretSpec("gcp-key", { registries: ["gcr.io", "asia-docker.pkg.dev"] }),
        world.access,
      );
      expect(resolved.identity).toBe(
        `gar|asia-docker.pkg.dev,gcr.io|secret:tenant-a/gcp-key@${secret?.uid}:${secret?.resourceVersion}|key=credentials.json`,
      );
      expect(resolved.identity).not.toContain(world.key.privateKeyPem.split("\n")[1]);
    }),
  );

  it(
    "is the same for the same hosts in another order",
    withWorld(async (world) => {
      const a = await world.provider.resolve(
        secretSpec("gcp-key", { registries: ["gcr.io", "eu.gcr.io"] }),
        world.access,
      );
      const b = await world.provider.resolve(
        secretSpec("gcp-key", { registries: ["eu.gcr.io", "gcr.io"] }),
        world.access,
      );
      expect(a.identity).toBe(b.identity);
    }),
  );

  it(
    "changes with the Secret key and tells ambient credentials apart",
    withWorld(async (world) => {
      world.access.putSecret("gcp-key", { "credentials.json": world.key.text, "other.json": world.key.text });
      const byDefaultKey = await world.provider.resolve(secretSpec(), world.access);
      const byOtherKey = await world.provider.resolve(
        garSpec({ auth: { secretRef: { name: "gcp-key", key: "other.json" } } }),
        world.access,
      );
      const ambient = await world.provider.resolve(garSpec(), world.access);
      expect(byOtherKey.identity).not.toBe(byDefaultKey.identity);
      expect(ambient.identity).toBe("gar|europe-west1-docker.pkg.dev|ambient");
    }),
  );
});
