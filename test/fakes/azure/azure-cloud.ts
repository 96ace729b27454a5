// Entra ID and Azure Container Registry fakes over https with one test CA, and the acr provider
// options that point at them.
import type { AzureOptions } from "../../../src/providers/acr/provider.js";
import { createCertificateAuthority } from "../../support/pki.js";
import { FakeAcr, type FakeAcrOptions } from "./fake-acr.js";
import { type EntraApplication, FakeEntra } from "./fake-entra.js";

export interface FakeAzureCloudOptions {
  applications: EntraApplication[];
  registries: Omit<FakeAcrOptions, "entra">[];
  entraTokenLifetimeSeconds?: number;
}

export interface FakeAzureCloud {
  entra: FakeEntra;
  registries: FakeAcr[];
  /** The CA that signed every fake's certificate (PEM). */
  ca: string;
  /** Provider options reaching the fakes: Entra as authority, each registry name at its fake. */
  options: AzureOptions;
  /** Starts one more registry fake with the same certificate (not added to `options`). */
  addRegistry(options: Omit<FakeAcrOptions, "entra">): Promise<FakeAcr>;
  close(): Promise<void>;
}

export async function startFakeAzureCloud(options: FakeAzureCloudOptions): Promise<FakeAzureCloud> {
  const authority = await createCertificateAuthority("fake azure");
  const serving = await authority.issue({
    commonName: "127.0.0.1",
    ipAddresses: ["127.0.0.1"],
    usage: "server",
  });
  const entra = new FakeEntra(options.entraTokenLifetimeSeconds);
  for (const application of options.applications) entra.register(application);
  await entra.start(serving);
  const registries = await Promise.all(
    options.registries.map((registry) => new FakeAcr({ ...registry, entra }).start(serving)),
  );
  const added: FakeAcr[] = [];
  return {
    entra,
    registries,
    ca: authority.certPem,
    options: {
      authorityHost: entra.url,
      ca: authority.certPem,
      registryUrls: Object.fromEntries(registries.map((registry) => [registry.name, registry.url])),
      environment: {},
    },
    async addRegistry(extra) {
      const fake = await new FakeAcr({ ...extra, entra }).start(serving);
      added.push(fake);
      return fake;
    },
    async close() {
      await Promise.all([entra.close(), ...[...registries, ...added].map((registry) => registry.close())]);
    },
  };
}
