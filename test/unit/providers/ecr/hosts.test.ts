import { describe, expect, it } from "@jest/globals";
import { decodeAuthorizationToken, hostOfProxyEndpoint } from "../../../../src/providers/ecr/hosts.js";

const base64 = (text: string) => Buffer.from(text).toString("base64");

describe("hostOfProxyEndpoint", () => {
  it.each([
    [
      "a commercial endpoint",
      "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com",
      "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
    ],
    [
      "a China endpoint",
      "https://123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn",
      "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn",
    ],
    [
      "an endpoint with a trailing slash",
      "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/",
      "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
    ],
    [
      "an endpoint without a scheme",
      "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
      "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
    ],
    [
      "an endpoint in upper case",
      "HTTPS://123456789012.DKR.ECR.EU-WEST-1.AMAZONAWS.COM",
      "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
    ],
    ["an endpoint with a port", "https://registry.local:5000", "registry.local:5000"],
    ["an endpoint with the default port", "https://registry.local:443", "registry.local"],
  ])("turns %s into a bare host", (_name, endpoint, host) => {
    expect(hostOfProxyEndpoint(endpoint)).toBe(host);
  });

  it.each([
    ["an empty string", ""],
    ["a URL with a path", "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/v2/"],
    ["a URL with user info", "https://user:pw@registry.local"],
    ["another scheme", "ftp://registry.local"],
    ["text that is no URL", "https://exa mple.com"],
  ])("rejects %s", (_name, endpoint) => {
    expect(hostOfProxyEndpoint(endpoint)).toBeUndefined();
  });
});

describe("decodeAuthorizationToken", () => {
  it.each([
    ["an ECR token", base64("AWS:eyJwYXlsb2FkIjoi"), { username: "AWS", password: "eyJwYXlsb2FkIjoi" }],
    ["a password that contains colons", base64("AWS:a:b:c"), { username: "AWS", password: "a:b:c" }],
    ["a token with one padding character", base64("AWS:pass"), { username: "AWS", password: "pass" }],
  ])("decodes %s", (_name, token, login) => {
    expect(decodeAuthorizationToken(token)).toEqual(login);
  });

  it.each([
    ["an empty token", ""],
    ["text that is not base64", "AWS:password"],
    ["base64 with a missing padding", base64("AWS:pass").replace(/=+$/, "")],
    ["base64 without a separator", base64("AWSpassword")],
    ["base64 with an empty password", base64("AWS:")],
    ["base64 with an empty username", base64(":password")],
  ])("rejects %s", (_name, token) => {
    expect(decodeAuthorizationToken(token)).toBeUndefined();
  });
});
