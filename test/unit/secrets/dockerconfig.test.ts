import { describe, expect, it } from "@jest/globals";
import type { RegistryToken } from "../../../src/providers/provider.js";
import { buildDockerConfig, parseDockerConfig } from "../../../src/secrets/dockerconfig.js";

const ecrHost = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const garHost = "europe-west1-docker.pkg.dev";

function login(host: string, username = "AWS", password = `fake-password-for-${host}`): RegistryToken {
  return { host, username, password };
}

const base64 = (text: string) => Buffer.from(text).toString("base64");

describe("buildDockerConfig", () => {
  it("writes exactly {auths: {host: {username, password, auth}}} with auth = base64(user:pass)", () => {
    const json = buildDockerConfig([login(ecrHost, "AWS", "fake-ecr-password")]);
    expect(JSON.parse(json)).toStrictEqual({
      auths: {
        [ecrHost]: {
          username: "AWS",
          password: "fake-ecr-password",
          auth: base64("AWS:fake-ecr-password"),
        },
      },
    });
  });

  it("encodes a password that contains a colon and non-ASCII text as UTF-8", () => {
    const password = "fake:pässwörd";
    const json = buildDockerConfig([login(garHost, "oauth2accesstoken", password)]);
    const auth = (JSON.parse(json) as { auths: Record<string, { auth: string }> }).auths[garHost]?.auth ?? "";
    expect(Buffer.from(auth, "base64").toString("utf8")).toBe(`oauth2accesstoken:${password}`);
  });

  it("orders hosts so that equal input gives equal bytes", () => {
    const hosts = [garHost, ecrHost, "gcr.io", "eu.gcr.io"];
    const forward = buildDockerConfig(hosts.map((h) => login(h)));
    const backward = buildDockerConfig([...hosts].reverse().map((h) => login(h)));
    expect(forward).toBe(backward);
    expect(Object.keys((JSON.parse(forward) as { auths: object }).auths)).toEqual([
      ecrHost,
      "eu.gcr.io",
      garHost,
      "gcr.io",
    ]);
  });

  it("does not reorder its input array", () => {
    const tokens = [login("b.example"), login("a.example")];
    buildDockerConfig(tokens);
    expect(tokens.map((t) => t.host)).toEqual(["b.example", "a.example"]);
  });

  it("refuses an empty list of logins", () => {
    expect(() => buildDockerConfig([])).toThrow("no registry logins");
  });

  it.each<[string, RegistryToken]>([
    ["an empty host", { host: "", username: "AWS", password: "fake" }],
    ["an empty username", { host: ecrHost, username: "", password: "fake" }],
    ["an empty password", { host: ecrHost, username: "AWS", password: "" }],
  ])("refuses a login with %s, even next to a complete one", (_name, incomplete) => {
    expect(() => buildDockerConfig([login(garHost), incomplete])).toThrow("incomplete login");
  });

  it("does not quote the password of an incomplete login in its error", () => {
    const password = "fake-password-that-must-not-leak";
    expect(() => buildDockerConfig([{ host: ecrHost, username: "", password }])).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(password) }),
    );
  });
});

describe("parseDockerConfig", () => {
  it("reads back what buildDockerConfig wrote", () => {
    const tokens = [login(ecrHost), login(garHost, "oauth2accesstoken")];
    const parsed = parseDockerConfig(buildDockerConfig(tokens));
    expect(parsed?.auths[ecrHost]).toMatchObject({ username: "AWS", password: tokens[0]?.password });
    expect(parsed?.auths[garHost]).toMatchObject({
      username: "oauth2accesstoken",
      password: tokens[1]?.password,
    });
  });

  it.each([
    ["an empty string", ""],
    ["text that is not JSON", "not json at all"],
    ["truncated JSON", '{"auths": {'],
    ["JSON null", "null"],
    ["a JSON number", "42"],
    ["a JSON string", '"auths"'],
    ["an object without auths", '{"credHelpers": {}}'],
    ["auths set to null", '{"auths": null}'],
    ["auths set to a string", '{"auths": "x"}'],
  ])("returns undefined for %s", (_name, text) => {
    expect(parseDockerConfig(text)).toBeUndefined();
  });

  it("accepts a document with no logins", () => {
    expect(parseDockerConfig('{"auths": {}}')).toEqual({ auths: {} });
  });
});
