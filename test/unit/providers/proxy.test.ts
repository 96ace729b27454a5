// Every provider call honours HTTPS_PROXY, HTTP_PROXY and NO_PROXY: each provider mints against its
// fakes with the variables pointing at a forward proxy of our own, which records what it carried.
// The variables are read when factories and clients are created, so each world is built inside.
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { createEcrProvider, defaultAwsClientFactories } from "../../../src/providers/ecr/provider.js";
import { createEcrPublicProvider } from "../../../src/providers/ecr-public/provider.js";
import type { RegistryToken } from "../../../src/providers/provider.js";
import { FakeEcrPublicServer } from "../../fakes/ecr/fake-ecr-public-server.js";
import { FakeEcrServer } from "../../fakes/ecr/fake-ecr-server.js";
import { FakeForwardProxy } from "../../fakes/proxy/forward-proxy.js";
import { secretSpec as acrSecretSpec, startAcrWorld } from "./acr/fixtures.js";
import { accessWithKeys, ecrSpec, staticKeys } from "./ecr/fixtures.js";
import {
  secretSpec as garSecretSpec,
  garSpec,
  poolAudience,
  startGarWorld,
  targetAccount,
  withEnvironment,
} from "./gar/fixtures.js";

/** A provider wired to its fakes, and the host:port of every fake a mint must reach. */
interface ProxiedWorld {
  mint(): Promise<RegistryToken[]>;
  /** Fakes asked in absolute form (http targets, through Node's agents). */
  forwarded: string[];
  /**
   * Fakes reached through a CONNECT tunnel: https targets, and every target of gaxios
   * (google-auth-library), which tunnels http ones too.
   */
  tunnelled: string[];
  close(): Promise<void>;
}

function hostOf(url: string): string {
  return new URL(url).host;
}

const worlds: [string, () => Promise<ProxiedWorld>][] = [
  [
    "the ecr provider's GetAuthorizationToken through the AWS SDK",
    async () => {
      const ecr = await new FakeEcrServer("eu-west-1", "123456789012").start();
      ecr.registerCredentials({
        accessKeyId: staticKeys.accessKeyId,
        secretAccessKey: staticKeys.secretAccessKey,
      });
      const provider = createEcrProvider(defaultAwsClientFactories({ ecrEndpoint: ecr.endpoint }));
      const access = accessWithKeys();
      return {
        mint: async () =>
          (await provider.resolve(ecrSpec({ auth: { secretRef: { name: "aws-keys" } } }), access)).mint(),
        forwarded: [hostOf(ecr.endpoint)],
        tunnelled: [],
        close: () => ecr.close(),
      };
    },
  ],
  [
    "the ecrPublic provider's GetAuthorizationToken through the AWS SDK",
    async () => {
      const ecrPublic = await new FakeEcrPublicServer().start();
      ecrPublic.registerCredentials({
        accessKeyId: staticKeys.accessKeyId,
        secretAccessKey: staticKeys.secretAccessKey,
      });
      const provider = createEcrPublicProvider(
        defaultAwsClientFactories({ ecrPublicEndpoint: ecrPublic.endpoint }),
      );
      const access = accessWithKeys();
      return {
        mint: async () =>
          (await provider.resolve({ auth: { secretRef: { name: "aws-keys" } } }, access)).mint(),
        forwarded: [hostOf(ecrPublic.endpoint)],
        tunnelled: [],
        close: () => ecrPublic.close(),
      };
    },
  ],
  [
    "the gar provider's own JWT-bearer grant with a service-account key",
    async () => {
      const world = await startGarWorld();
      return {
        mint: async () => (await world.provider.resolve(garSecretSpec("gcp-key"), world.access)).mint(),
        forwarded: [hostOf(world.cloud.oauth.tokenUrl)],
        tunnelled: [],
        close: () => world.close(),
      };
    },
  ],
  [
    "the gar provider's STS exchange (google-auth-library, tunnelled) and its own IAM impersonation call",
    async () => {
      const world = await startGarWorld();
      world.access.putServiceAccount("puller");
      world.cloud.iam.allow(
        world.cloud.sts?.principalOf("system:serviceaccount:tenant-a:puller") ?? "",
        targetAccount,
      );
      const spec = garSpec({
        auth: { serviceAccountRef: { name: "puller", audience: poolAudience } },
        impersonate: { serviceAccount: targetAccount },
      });
      return {
        mint: async () => (await world.provider.resolve(spec, world.access)).mint(),
        forwarded: [hostOf(world.cloud.iam.url)],
        tunnelled: [hostOf(world.cloud.sts?.tokenUrl ?? "")],
        close: () => world.close(),
      };
    },
  ],
  [
    "the acr provider's Entra token (@azure/identity) and its own https exchange at the registry",
    async () => {
      const world = await startAcrWorld();
      const [registry] = world.cloud.registries;
      return {
        mint: async () => (await world.provider.resolve(acrSecretSpec(), world.access)).mint(),
        forwarded: [],
        tunnelled: [hostOf(world.cloud.entra.url), hostOf(registry?.url ?? "")],
        close: () => world.close(),
      };
    },
  ],
];

describe("provider calls behind a forward proxy", () => {
  let proxy: FakeForwardProxy;
  beforeEach(async () => {
    proxy = await new FakeForwardProxy().start();
  });
  afterEach(async () => {
    await proxy.close();
  });

  /** Builds the world and mints once with the proxy variables set (and restored afterwards). */
  async function mintWith(variables: Record<string, string>, build: () => Promise<ProxiedWorld>) {
    return withEnvironment(
      { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: undefined, ...variables },
      async () => {
        const world = await build();
        try {
          return { world, tokens: await world.mint() };
        } finally {
          await world.close();
        }
      },
    );
  }

  it.each(worlds)("sends %s through the proxy", async (_name, build) => {
    const { world, tokens } = await mintWith({}, build);
    expect(tokens.length).toBeGreaterThan(0);
    expect(proxy.targets()).toEqual([...world.forwarded, ...world.tunnelled].sort());
    for (const { method, target } of proxy.requests)
      expect({ target, tunnelled: method === "CONNECT" }).toEqual({
        target,
        tunnelled: world.tunnelled.includes(target),
      });
  });

  it.each(worlds)("sends %s directly to a host NO_PROXY lists", async (_name, build) => {
    const { tokens } = await mintWith({ NO_PROXY: "localhost,127.0.0.1" }, build);
    expect(tokens.length).toBeGreaterThan(0);
    expect(proxy.requests).toEqual([]);
  });
});
