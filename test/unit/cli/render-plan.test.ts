// What `regcred render` plans for static credentials and mirror aliases, before anything is read.
import { describe, expect, it } from "@jest/globals";
import type { CredentialSource } from "../../../src/api/v1alpha1.js";
import { plannedSource, renderMaskedDockerConfig } from "../../../src/cli/render-plan.js";

describe("the render plan", () => {
  it.each<[string, CredentialSource, { hosts: string[]; username: string; aliases?: string[] }]>([
    [
      "a basic source with a username in the spec",
      { basic: { registries: ["docker.io", "quay.io"], username: "bot", secretRef: { name: "hub" } } },
      { hosts: ["docker.io", "quay.io"], username: "bot" },
    ],
    [
      "a basic source reading its username from the Secret",
      { basic: { registries: ["docker.io"], secretRef: { name: "hub", usernameKey: "user" } } },
      { hosts: ["docker.io"], username: "<key user of Secret hub>" },
    ],
    [
      "a dockerConfig source without hosts",
      { dockerConfig: { secretRef: { name: "legacy", namespace: "shared" } } },
      { hosts: ["<every registry of Secret shared/legacy>"], username: "<from Secret shared/legacy>" },
    ],
    [
      "an ECR source with a mirror alias",
      {
        ecr: { region: "eu-west-1", registryIds: ["123456789012"] },
        aliases: ["docker.io"],
        aliasesAcknowledgement: "SendsTokenUpstreamWhenMirrorFails",
      },
      { hosts: ["123456789012.dkr.ecr.eu-west-1.amazonaws.com"], username: "AWS", aliases: ["docker.io"] },
    ],
  ])("plans %s", (_name, source, expected) => {
    expect(plannedSource(source, 0)).toEqual({ index: 0, provider: expect.any(String), ...expected });
  });

  it("writes an alias host with the login it repeats, values masked", () => {
    const planned = plannedSource(
      {
        ecr: { region: "eu-west-1", registryIds: ["123456789012"] },
        aliases: ["docker.io"],
        aliasesAcknowledgement: "SendsTokenUpstreamWhenMirrorFails",
      },
      0,
    );
    const config = JSON.parse(renderMaskedDockerConfig(planned ? [planned] : [])) as {
      auths: Record<string, Record<string, string>>;
    };
    expect(config.auths).toEqual({
      "123456789012.dkr.ecr.eu-west-1.amazonaws.com": { username: "AWS", password: "****", auth: "****" },
      "docker.io": { username: "AWS", password: "****", auth: "****" },
    });
  });
});
