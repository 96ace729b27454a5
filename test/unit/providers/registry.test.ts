// The provider registry: one line per provider, and everything the controller and CLI need from it.
import { describe, expect, it } from "@jest/globals";
import {
  bindSource,
  createProviders,
  providerInfo,
  providerList,
  providerNames,
  referenceNamespaceOf,
} from "../../../src/providers/registry.js";
import { FakeAwsClients } from "../../fakes/ecr/fake-aws-clients.js";

describe("the provider registry", () => {
  it("has an implementation for every provider it has info for, and nothing more", () => {
    const providers = createProviders({
      aws: new FakeAwsClients().factories(),
      google: {} as never,
      azure: {} as never,
    });
    expect(Object.keys(providers).sort()).toEqual([...providerNames].sort());
    // Static credentials serve whatever registry their spec or Secret names; cloud providers know their hosts.
    const cloud = providerNames.filter((name) => name !== "basic" && name !== "dockerConfig");
    for (const name of cloud) expect(providerInfo[name].hostPatterns.length).toBeGreaterThan(0);
  });

  it("names every provider in messages", () => {
    expect(providerList()).toBe("ecr, ecrPublic, gar, acr, basic or dockerConfig");
  });

  it.each<[string, Parameters<typeof referenceNamespaceOf>[0], string | undefined]>([
    [
      "an ecr Secret reference with a namespace",
      { ecr: { region: "eu-west-1", auth: { secretRef: { name: "k", namespace: "aws" } } } },
      "aws",
    ],
    [
      "an ecr ServiceAccount reference with a namespace",
      {
        ecr: { region: "eu-west-1", auth: { serviceAccountRef: { name: "sa", namespace: "irsa" } } },
      },
      "irsa",
    ],
    [
      "a gar Secret reference with a namespace",
      { gar: { registries: ["gcr.io"], auth: { secretRef: { name: "k", namespace: "gcp" } } } },
      "gcp",
    ],
    [
      "an ecrPublic Secret reference with a namespace",
      { ecrPublic: { auth: { secretRef: { name: "k", namespace: "aws-public" } } } },
      "aws-public",
    ],
    [
      "a basic Secret reference with a namespace",
      { basic: { registries: ["docker.io"], secretRef: { name: "hub", namespace: "shared" } } },
      "shared",
    ],
    [
      "a dockerConfig Secret reference with a namespace",
      { dockerConfig: { secretRef: { name: "pull", namespace: "shared" } } },
      "shared",
    ],
    [
      "a source with aliases beside its provider block",
      {
        ecr: { region: "eu-west-1", auth: { secretRef: { name: "k", namespace: "aws" } } },
        aliases: ["docker.io"],
        aliasesAcknowledgement: "SendsTokenUpstreamWhenMirrorFails",
      },
      "aws",
    ],
    ["a source without references", { ecr: { region: "eu-west-1" } }, undefined],
    [
      "a source with two provider blocks",
      { ecr: { region: "eu-west-1" }, gar: { registries: ["gcr.io"] } },
      undefined,
    ],
  ])("resolves the reference namespace of %s", (_name, source, expected) => {
    expect(referenceNamespaceOf(source)).toBe(expected);
  });

  it.each<[string, Parameters<typeof bindSource>[0], string[]]>([
    [
      "an ecr source reading its keys from a Secret",
      { ecr: { region: "eu-west-1", auth: { secretRef: { name: "aws-keys" } } } },
      ["aws-keys"],
    ],
    [
      "a gar source reading its credentials JSON from a Secret",
      { gar: { registries: ["gcr.io"], auth: { secretRef: { name: "gcp-key", namespace: "gcp" } } } },
      ["gcp-key"],
    ],
    [
      "an ecr source on a ServiceAccount",
      { ecr: { region: "eu-west-1", auth: { serviceAccountRef: { name: "puller" } } } },
      [],
    ],
    ["a gar source on ambient identity", { gar: { registries: ["gcr.io"] } }, []],
  ])("names the Secrets read by %s", (_name, source, expected) => {
    expect(bindSource(source)?.referencedSecrets()).toEqual(expected);
  });
});
