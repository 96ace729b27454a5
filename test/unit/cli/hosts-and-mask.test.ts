import { describe, expect, it } from "@jest/globals";
import { authKeyCovers } from "../../../src/cli/hosts.js";
import { maskDockerConfig } from "../../../src/cli/mask.js";
import { plannedSource, renderMaskedDockerConfig } from "../../../src/cli/render-plan.js";
import { isProviderHost } from "../../../src/providers/registry.js";
import { registryHostOf } from "../../../src/pulls/image-host.js";
import { buildDockerConfig, parseDockerConfig } from "../../../src/secrets/dockerconfig.js";

describe("registry hosts", () => {
  it.each([
    ["nginx", "docker.io"],
    ["library/nginx:1", "docker.io"],
    ["123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1", "123456789012.dkr.ecr.eu-west-1.amazonaws.com"],
    ["localhost:5000/app", "localhost:5000"],
    ["europe-west1-docker.pkg.dev/p/r/app@sha256:abc", "europe-west1-docker.pkg.dev"],
  ])("host of %s is %s", (image, host) => {
    expect(registryHostOf(image)).toBe(host);
  });

  it("recognises ECR, Artifact Registry and gcr.io hosts only", () => {
    expect(isProviderHost("123456789012.dkr.ecr.eu-west-1.amazonaws.com")).toBe(true);
    expect(isProviderHost("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com")).toBe(true);
    expect(isProviderHost("europe-west1-docker.pkg.dev")).toBe(true);
    expect(isProviderHost("gcr.io")).toBe(true);
    expect(isProviderHost("eu.gcr.io")).toBe(true);
    expect(isProviderHost("docker.io")).toBe(false);
    expect(isProviderHost("quay.io")).toBe(false);
    expect(isProviderHost("evil-gcr.io.example.com")).toBe(false);
  });

  it("matches auths keys with scheme and path", () => {
    expect(authKeyCovers("https://gcr.io/v1/", "gcr.io")).toBe(true);
    expect(authKeyCovers("gcr.io", "eu.gcr.io")).toBe(false);
  });
});

describe("masking", () => {
  it("replaces every secret value and keeps usernames and hosts", () => {
    const text = buildDockerConfig([
      { host: "gcr.io", username: "oauth2accesstoken", password: "ya29.secret" },
    ]);
    const masked = JSON.stringify(maskDockerConfig(parseDockerConfig(text) ?? { auths: {} }));
    expect(masked).not.toContain("ya29.secret");
    expect(masked).not.toContain(Buffer.from("oauth2accesstoken:ya29.secret").toString("base64"));
    expect(JSON.parse(masked)).toEqual({
      auths: { "gcr.io": { username: "oauth2accesstoken", password: "****", auth: "****" } },
    });
  });

  it("plans ECR hosts with a caller-account placeholder and explicit registry ids", () => {
    expect(plannedSource({ ecr: { region: "eu-west-1" } }, 0)?.hosts).toEqual([
      "<caller account>.dkr.ecr.eu-west-1.amazonaws.com",
    ]);
    const explicit = plannedSource({ ecr: { region: "us-east-1", registryIds: ["111122223333"] } }, 1);
    expect(explicit?.hosts).toEqual(["111122223333.dkr.ecr.us-east-1.amazonaws.com"]);
    const rendered = renderMaskedDockerConfig(explicit ? [explicit] : []);
    expect(JSON.parse(rendered).auths["111122223333.dkr.ecr.us-east-1.amazonaws.com"]).toEqual({
      username: "AWS",
      password: "****",
      auth: "****",
    });
    expect(rendered).not.toContain("placeholder");
  });
});
