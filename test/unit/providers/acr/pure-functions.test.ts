// The acr provider's pure parts: the challenge parser, token lifetimes, the host allow-list and
// spec validation.
import { describe, expect, it } from "@jest/globals";
import type { AcrSource } from "../../../../src/api/v1alpha1.js";
import {
  allowListEntryProblem,
  defaultAcrAllowedHosts,
  isAllowedRegistryHost,
} from "../../../../src/providers/acr/host-allow-list.js";
import { jwtExpiry } from "../../../../src/providers/acr/jwt-expiry.js";
import { validateAcrSource } from "../../../../src/providers/acr/validate.js";
import { parseBearerChallenge } from "../../../../src/util/bearer-challenge.js";
import { acrSpec, tenantId } from "./fixtures.js";

const jwt = (payload: unknown) =>
  ["eyJhbGciOiJub25lIn0", Buffer.from(JSON.stringify(payload)).toString("base64url"), "c2ln"].join(".");

describe("parseBearerChallenge", () => {
  it.each<[string, string | undefined, ReturnType<typeof parseBearerChallenge>]>([
    [
      "reads ACR's challenge",
      'Bearer realm="https://r.azurecr.io/oauth2/token",service="r.azurecr.io"',
      { realm: "https://r.azurecr.io/oauth2/token", service: "r.azurecr.io" },
    ],
    [
      "accepts any case, spaces and unquoted values",
      'bearer  Realm = "https://r/t" , service=r.azurecr.io',
      { realm: "https://r/t", service: "r.azurecr.io" },
    ],
    ["unescapes quoted pairs", 'Bearer realm="https://r/t\\"x"', { realm: 'https://r/t"x' }],
    ["ignores a Basic challenge", 'Basic realm="Registry Realm"', undefined],
    ["ignores a Bearer challenge without a realm", 'Bearer service="r"', undefined],
    ["ignores a missing header", undefined, undefined],
  ])("%s", (_name, header, expected) => {
    expect(parseBearerChallenge(header)).toEqual(expected);
  });
});

describe("jwtExpiry", () => {
  it.each<[string, string, Date | undefined]>([
    ["reads a JWT's exp", jwt({ exp: 1_800_000_000 }), new Date(1_800_000_000_000)],
    ["gives nothing for a JWT without exp", jwt({ sub: "x" }), undefined],
    ["gives nothing for a non-numeric exp", jwt({ exp: "soon" }), undefined],
    ["gives nothing for a payload that is not an object", jwt(42), undefined],
    ["gives nothing for an opaque token", "not-a-jwt-at-all", undefined],
    ["gives nothing for a payload that is not JSON", "a.b.c", undefined],
    ["gives nothing for an exp beyond the dates JavaScript can hold", jwt({ exp: 1e13 }), undefined],
  ])("%s", (_name, token, expected) => {
    expect(jwtExpiry(token)).toEqual(expected);
  });
});

describe("the ACR host allow-list", () => {
  it.each<[string, string, readonly string[], boolean]>([
    ["allows a public-cloud registry by default", "contoso.azurecr.io", defaultAcrAllowedHosts, true],
    ["allows the sovereign clouds by default", "contoso.azurecr.cn", defaultAcrAllowedHosts, true],
    ["refuses another host", "contoso.example.com", defaultAcrAllowedHosts, false],
    [
      "refuses a host that only contains the suffix",
      "azurecr.io.evil.example",
      defaultAcrAllowedHosts,
      false,
    ],
    ["refuses the bare suffix", "azurecr.io", defaultAcrAllowedHosts, false],
    ["refuses a port on a wildcard match", "contoso.azurecr.io:8443", defaultAcrAllowedHosts, false],
    ["refuses a path that ends in the suffix", "evil.example/.azurecr.io", defaultAcrAllowedHosts, false],
    ["refuses user info and a fragment", "u@evil.example#.azurecr.io", defaultAcrAllowedHosts, false],
    ["refuses a trailing dot", "contoso.azurecr.io.", defaultAcrAllowedHosts, false],
    ["refuses upper case", "Contoso.azurecr.io", defaultAcrAllowedHosts, false],
    ["allows an exact entry with its port", "10.0.0.5:5000", ["10.0.0.5:5000"], true],
    ["refuses an exact entry's host on another port", "10.0.0.5:5001", ["10.0.0.5:5000"], false],
  ])("%s", (_name, host, list, expected) => {
    expect(isAllowedRegistryHost(host, list)).toBe(expected);
  });

  it.each<[string, string, RegExp | undefined]>([
    ["accepts a wildcard suffix", "*.azurecr.io", undefined],
    ["accepts a host with a port", "registry.internal:5000", undefined],
    ["refuses a wildcard over a top-level domain", "*.io", /too broad/],
    ["refuses a URL", "https://contoso.azurecr.io", /must be a lower-case host/],
    ["refuses a wildcard inside a name", "contoso*.azurecr.io", /must be a lower-case host/],
  ])("%s", (_name, entry, problem) => {
    const found = allowListEntryProblem(entry);
    if (problem) expect(found).toMatch(problem);
    else expect(found).toBeUndefined();
  });
});

describe("validateAcrSource", () => {
  it.each<[string, AcrSource, RegExp[]]>([
    ["accepts a registry and nothing else", acrSpec(), []],
    [
      "names a duplicated registry",
      acrSpec({ registries: ["a.azurecr.io", "a.azurecr.io"] }),
      [/"a\.azurecr\.io" is listed more than once/],
    ],
    [
      "names an upper-case registry",
      acrSpec({ registries: ["Contoso.azurecr.io"] }),
      [/lower-case login server/],
    ],
    [
      "names both references when both are set",
      acrSpec({
        auth: { secretRef: { name: "s", tenantId, clientId: tenantId }, serviceAccountRef: { name: "sa" } },
      }),
      [/exactly one of secretRef or serviceAccountRef/],
    ],
    [
      "names a Secret key that Kubernetes cannot hold",
      acrSpec({ auth: { secretRef: { name: "s", tenantId, clientId: tenantId, clientSecretKey: "a/b" } } }),
      [/clientSecretKey "a\/b" is not a valid Secret key/],
    ],
    [
      "names a tenant that is not a GUID",
      acrSpec({ auth: { serviceAccountRef: { name: "sa", tenantId: "contoso.onmicrosoft.com" } } }),
      [/tenantId "contoso\.onmicrosoft\.com" must be a GUID/],
    ],
    [
      "names a repository with a digest",
      acrSpec({ repositories: ["app@sha256"] }),
      [/without tag or digest/],
    ],
    [
      "names a token audience outside the enum",
      acrSpec({ tokenAudience: "toString" as AcrSource["tokenAudience"] }),
      [/tokenAudience "toString" must be ContainerRegistry or ResourceManager/],
    ],
  ])("%s", (_name, spec, problems) => {
    const found = validateAcrSource(spec);
    expect(found).toHaveLength(problems.length);
    for (const [index, problem] of problems.entries()) expect(found[index]).toMatch(problem);
  });
});
