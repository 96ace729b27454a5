// The registry probe against loopback registries that check credentials as the real ones do: what
// each answer means, the canary's grants, the limits, the scheme and address policies, the proxy,
// and that no message ever shows the password or a token.
import { afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import type { VerificationReason } from "../../../src/api/v1alpha1.js";
import {
  createRegistryProbe,
  type ProbeOutcome,
  type ProbeRequest,
  type RegistryProbeOptions,
} from "../../../src/verify/registry-probe.js";
import { FakeForwardProxy } from "../../fakes/proxy/forward-proxy.js";
import { recordShown } from "../../support/leaks/ledger.js";
import { createCertificateAuthority, type PemKeyPair } from "../../support/pki.js";
import { nonPublic } from "../util/non-public-addresses.js";
import {
  FakeRegistry,
  type FakeRegistryOptions,
  type ForcedAnswer,
  type RegistryKind,
} from "./fake-registry.js";

/** Distinctive, so that a message showing it cannot pass unnoticed. */
const password = "Pr0be-distinctive-PASSWORD-7f3a9c";
const users = { robot: password };
const pullers = { robot: ["team/app"] };
const manifests = ["team/app:1", "team/app:latest"];
const loopback = ["127.0.0.0/8"];

let ca: string;
let serving: PemKeyPair;
const started: { close(): Promise<void> }[] = [];
/** Every token any fake of this file issued. */
const issued: string[] = [];

beforeAll(async () => {
  const authority = await createCertificateAuthority("registry-probe test");
  ca = authority.certPem;
  serving = await authority.issue({
    commonName: "127.0.0.1",
    ipAddresses: ["127.0.0.1"],
    dnsNames: ["registry.test", "auth.test"],
    usage: "server",
  });
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.close()));
});

/** A started fake registry of `kind` holding robot's login, over https unless `tls` is false. */
async function registryOf(
  kind: RegistryKind,
  overrides: Partial<FakeRegistryOptions> & { plain?: boolean } = {},
): Promise<FakeRegistry> {
  const { plain, ...options } = overrides;
  const registry = new FakeRegistry({
    kind,
    users,
    pullers,
    manifests,
    ...(plain ? {} : { tls: serving }),
    ...options,
  });
  started.push(registry);
  await registry.start();
  return registry;
}

/**
 * Probes as robot (overridable), and checks what every outcome must hold: no password, no token,
 * one line. The message is recorded for the suite's leak scan too.
 */
async function ask(
  target: FakeRegistry | string,
  request: Partial<ProbeRequest> = {},
  options: RegistryProbeOptions = {},
): Promise<ProbeOutcome> {
  const host = typeof target === "string" ? target : target.registry.host;
  const probe = createRegistryProbe({ ca, allowedNetworks: loopback, ...options });
  const outcome = await probe({ host, username: "robot", password, ...request });
  recordShown("registry-probe outcome", outcome.message);
  if (typeof target !== "string") issued.push(...target.issued);
  expect(outcome.message).not.toContain(password);
  expect(outcome.message).not.toContain(Buffer.from(`robot:${password}`).toString("base64"));
  for (const token of issued) expect(outcome.message).not.toContain(token);
  expect(outcome.message).not.toMatch(/\n/);
  return outcome;
}

const distributionError = (code: string) => JSON.stringify({ errors: [{ code, message: "m" }] });
const seenPaths = (registry: FakeRegistry) => registry.registry.seen.map((request) => request.path);

const kinds: [string, RegistryKind][] = [
  ["a Basic registry (ECR's shape)", "basic"],
  ["a token-auth registry with its token service on its own origin (ACR's shape)", "bearer-same-origin"],
  [
    "a token-auth registry with its token service on another origin (Docker Hub's shape)",
    "bearer-other-origin",
  ],
];

describe.each(kinds)("against %s, the probe", (_kind, kind) => {
  it.each<[string, Partial<ProbeRequest>, VerificationReason, RegExp]>([
    [
      "finds the credential it holds Authenticated",
      {},
      "Authenticated",
      /^GET https:\/\/127\.0\.0\.1:\d+\/v2\/ answered 200/,
    ],
    [
      "finds a wrong password Unauthorized",
      { password: "not-the-password" },
      "Unauthorized",
      / answered 401 UNAUTHORIZED/,
    ],
    [
      "finds an unknown user Unauthorized",
      { username: "nobody" },
      "Unauthorized",
      / answered 401 UNAUTHORIZED/,
    ],
    [
      "proves a pull of a canary the identity may pull",
      { image: "team/app:1" },
      "Authenticated",
      /^HEAD https:\/\/127\.0\.0\.1:\d+\/v2\/team\/app\/manifests\/1 answered 200/,
    ],
    [
      "asks for the canary's latest tag when it names none",
      { image: "team/app" },
      "Authenticated",
      /\/v2\/team\/app\/manifests\/latest answered 200/,
    ],
    [
      "finds a canary the identity may not pull Forbidden",
      { image: "other/app:1" },
      "Forbidden",
      /^HEAD https:\/\/127\.0\.0\.1:\d+\/v2\/other\/app\/manifests\/1 answered 40[13].* \(after \/v2\/ accepted the credential\)$/,
    ],
    [
      "finds a canary tag that does not exist NotFound",
      { image: "team/app:2" },
      "NotFound",
      /\/v2\/team\/app\/manifests\/2 answered 404/,
    ],
  ])("%s", async (_name, request, reason, message) => {
    const registry = await registryOf(kind);
    const outcome = await ask(registry, request);
    expect(outcome).toEqual({ reason, message: expect.stringMatching(message) });
  });
});

describe("the Bearer challenge", () => {
  it("is followed to its token service with the challenge's service, and the canary's pull scope", async () => {
    const registry = await registryOf("bearer-other-origin");
    const outcome = await ask(registry, { image: "team/app:1" });
    expect(outcome.reason).toBe("Authenticated");
    expect(outcome.message).toMatch(/ with a token from https:\/\/127\.0\.0\.1:\d+\/token$/);
    expect(
      registry.registry.seen.map(({ method, path, authorization }) => [method, path, authorization]),
    ).toEqual([
      ["GET", "/v2/", "basic"],
      ["GET", "/v2/", "bearer"],
      ["HEAD", "/v2/team/app/manifests/1", "bearer"],
    ]);
    expect(registry.tokens?.seen).toEqual([
      {
        method: "GET",
        path: "/token",
        query: { service: "fake-registry", scope: "repository:team/app:pull" },
        authorization: "basic",
        accept: "application/json",
      },
    ]);
  });

  it("asks for no scope without a canary", async () => {
    const registry = await registryOf("bearer-same-origin");
    expect((await ask(registry)).reason).toBe("Authenticated");
    expect(registry.registry.seen.find((request) => request.path === "/token")?.query).toEqual({
      service: "fake-registry",
    });
  });

  it("is followed for a repository when /v2/ took the Basic credential but the manifest wants a token", async () => {
    const registry = await registryOf("bearer-same-origin");
    registry.registry.force("/v2/", { status: 200, body: "{}" });
    const outcome = await ask(registry, { image: "team/app:1" });
    expect(outcome).toEqual({
      reason: "Authenticated",
      message: expect.stringMatching(/^HEAD .*\/v2\/team\/app\/manifests\/1 answered 200 with a token from /),
    });
  });

  it.each<[string, (registry: FakeRegistry) => void, VerificationReason, RegExp]>([
    [
      "a token service that refuses the identity makes it Forbidden",
      (registry) => registry.tokens?.force("/token", { status: 403, body: distributionError("DENIED") }),
      "Forbidden",
      /^GET https:\/\/127\.0\.0\.1:\d+\/token\?service=fake-registry answered 403 DENIED \(the token service GET https:\/\/127\.0\.0\.1:\d+\/v2\/ named\)$/,
    ],
    [
      "a token service that fails makes it Unreachable",
      (registry) => registry.tokens?.force("/token", { status: 500 }),
      "Unreachable",
      /\/token\?service=fake-registry answered 500/,
    ],
    [
      "a token service that answers without a token makes it Unreachable",
      (registry) =>
        registry.tokens?.force("/token", { status: 200, body: JSON.stringify({ expires_in: 60 }) }),
      "Unreachable",
      /\/token\?service=fake-registry answered 200 without a token$/,
    ],
    [
      "a token service that redirects is not followed",
      (registry) =>
        registry.tokens?.force("/token", { status: 307, headers: { location: "https://127.0.0.1:1/" } }),
      "Unreachable",
      /\/token\?service=fake-registry answered 307 \(redirects are not followed\)/,
    ],
    [
      "a registry that refuses its own token makes it Unauthorized",
      (registry) =>
        registry.registry.force("/v2/", (request) =>
          request.authorization === "bearer"
            ? { status: 401, body: distributionError("UNAUTHORIZED") }
            : {
                status: 401,
                headers: { "www-authenticate": `Bearer realm="${registry.realm}",service="fake-registry"` },
              },
        ),
      "Unauthorized",
      /^GET .*\/v2\/ answered 401 UNAUTHORIZED with a token from https:\/\/127\.0\.0\.1:\d+\/token$/,
    ],
    [
      "a realm that is not a URL makes it Unreachable",
      (registry) =>
        registry.registry.force("/v2/", {
          status: 401,
          headers: { "www-authenticate": 'Bearer realm="not a url"' },
        }),
      "Unreachable",
      /answered 401 with a Bearer challenge whose realm is not a URL$/,
    ],
  ])("%s", async (_name, arrange, reason, message) => {
    const registry = await registryOf("bearer-other-origin");
    arrange(registry);
    expect(await ask(registry)).toEqual({ reason, message: expect.stringMatching(message) });
  });

  it("takes access_token when the token service sends no token field", async () => {
    const registry = await registryOf("bearer-same-origin", { tokenFields: ["access_token"] });
    expect((await ask(registry)).reason).toBe("Authenticated");
  });
});

describe("an answer on /v2/", () => {
  it.each<[string, ForcedAnswer, RegistryProbeOptions, VerificationReason, RegExp]>([
    [
      "403 is Forbidden",
      { status: 403, body: distributionError("DENIED") },
      {},
      "Forbidden",
      /\/v2\/ answered 403 DENIED$/,
    ],
    ["401 without a challenge is Unauthorized", { status: 401 }, {}, "Unauthorized", /\/v2\/ answered 401$/],
    [
      "401 with a Basic challenge is Unauthorized",
      { status: 401, headers: { "www-authenticate": 'Basic realm="r"' } },
      {},
      "Unauthorized",
      /\/v2\/ answered 401$/,
    ],
    ["404 is Unreachable", { status: 404 }, {}, "Unreachable", /\/v2\/ answered 404$/],
    [
      "503 is Unreachable",
      { status: 503, body: distributionError("UNAVAILABLE") },
      {},
      "Unreachable",
      /answered 503 UNAVAILABLE$/,
    ],
    [
      "a redirect is Unreachable, and not followed",
      { status: 302, headers: { location: "/elsewhere" } },
      {},
      "Unreachable",
      /\/v2\/ answered 302 \(redirects are not followed\)$/,
    ],
    [
      "a body larger than the cap is Unreachable",
      { status: 200, body: "x".repeat(4096) },
      { maxBodyBytes: 1024 },
      "Unreachable",
      /^GET https:\/\/127\.0\.0\.1:\d+\/v2\/: the answer exceeded 1024 bytes$/,
    ],
    [
      "none within the deadline is Unreachable",
      "hang",
      { timeoutMs: 50 },
      "Unreachable",
      /\/v2\/: no answer within 50 ms$/,
    ],
    [
      "an error code that is not a short code is not quoted",
      { status: 401, body: JSON.stringify({ errors: [{ code: "a long text, with spaces" }] }) },
      {},
      "Unauthorized",
      /\/v2\/ answered 401$/,
    ],
  ])("%s", async (_name, answer, options, reason, message) => {
    const registry = await registryOf("basic");
    registry.registry.force("/v2/", answer);
    expect(await ask(registry, {}, options)).toEqual({ reason, message: expect.stringMatching(message) });
    expect(seenPaths(registry)).toEqual(["/v2/"]);
  });

  it("is Unreachable from a registry whose certificate is not trusted, naming the certificate", async () => {
    const registry = await registryOf("basic");
    const probe = createRegistryProbe({ allowedNetworks: loopback });
    const outcome = await probe({ host: registry.registry.host, username: "robot", password });
    expect(outcome).toEqual({
      reason: "Unreachable",
      message: expect.stringMatching(/^GET https:.*\/v2\/: .*certificate/i),
    });
  });

  it("is Unreachable from a port nothing listens on", async () => {
    const outcome = await ask("127.0.0.1:1");
    expect(outcome).toEqual({
      reason: "Unreachable",
      message: "GET https://127.0.0.1:1/v2/: connect ECONNREFUSED 127.0.0.1:1",
    });
  });
});

describe("a canary manifest", () => {
  it.each<[string, ForcedAnswer, VerificationReason, RegExp]>([
    ["that answers 500 is Unreachable", { status: 500 }, "Unreachable", /manifests\/1 answered 500$/],
    [
      "behind a redirect is Unreachable",
      { status: 301, headers: { location: "/v2/x" } },
      "Unreachable",
      /answered 301 \(redirects are not followed\)$/,
    ],
    [
      "that answers 401 after /v2/ took the credential is Forbidden",
      { status: 401 },
      "Forbidden",
      /answered 401 \(after \/v2\/ accepted the credential\)$/,
    ],
  ])("%s", async (_name, answer, reason, message) => {
    const registry = await registryOf("basic");
    registry.registry.force("/v2/team/app/manifests/1", answer);
    expect(await ask(registry, { image: "team/app:1" })).toEqual({
      reason,
      message: expect.stringMatching(message),
    });
  });

  it("is asked for with the manifest types a puller accepts", async () => {
    const registry = await registryOf("basic");
    let accept: string | undefined;
    registry.registry.onRequest = (request) => {
      if (request.method === "HEAD") accept = request.accept;
    };
    await ask(registry, { image: "team/app:1" });
    expect(accept?.split(", ")).toEqual([
      "application/vnd.oci.image.index.v1+json",
      "application/vnd.oci.image.manifest.v1+json",
      "application/vnd.docker.distribution.manifest.list.v2+json",
      "application/vnd.docker.distribution.manifest.v2+json",
    ]);
  });

  it.each<[string, string, RegExp]>([
    ["a malformed image", "Team/App", /^canary image "Team\/App" is not repository\[:tag\|@digest\]/],
    ["an image that names the host", "", /starts with the registry host/],
  ])("is not asked for %s, which is Skipped", async (_name, image, message) => {
    const registry = await registryOf("basic");
    const named = image === "" ? `${registry.registry.host}/team/app:1` : image;
    expect(await ask(registry, { image: named })).toEqual({
      reason: "Skipped",
      message: expect.stringMatching(message),
    });
    expect(seenPaths(registry)).toEqual([]);
  });
});

describe("the scheme policy", () => {
  it("does not contact a plain-http origin of a host not listed insecure", async () => {
    const registry = await registryOf("basic", { plain: true });
    const outcome = await ask(registry, {}, { originOf: (host) => `http://${host}` });
    expect(outcome).toEqual({
      reason: "Skipped",
      message: expect.stringMatching(
        /^GET http:\/\/127\.0\.0\.1:\d+\/v2\/ was not sent: only https is allowed \(plain http only to the hosts in --verify-insecure-registries\)$/,
      ),
    });
    expect(seenPaths(registry)).toEqual([]);
  });

  it.each<[string, RegistryKind]>([
    ["a Basic registry", "basic"],
    ["a token-auth registry, realm included", "bearer-same-origin"],
  ])("reaches %s listed insecure over plain http by default", async (_name, kind) => {
    const registry = await registryOf(kind, { plain: true });
    const outcome = await ask(registry, { image: "team/app:1" }, { insecureHosts: [registry.registry.host] });
    expect(outcome).toEqual({ reason: "Authenticated", message: expect.stringMatching(/^HEAD http:\/\//) });
  });

  it("does not send the credential to a plain-http realm on a host not listed insecure", async () => {
    const registry = await registryOf("bearer-other-origin", { plain: true });
    const outcome = await ask(registry, {}, { insecureHosts: [registry.registry.host] });
    expect(outcome).toEqual({
      reason: "Skipped",
      message: expect.stringMatching(
        /^GET http:\/\/127\.0\.0\.1:\d+\/token was not sent: only https is allowed/,
      ),
    });
    expect(registry.tokens?.seen).toEqual([]);
  });

  it("refuses to start with an insecure host that is not a host[:port]", () => {
    expect(() => createRegistryProbe({ insecureHosts: ["http://registry.example/v2/"] })).toThrow(
      'insecure registry "http://registry.example/v2/" is not a host[:port]',
    );
  });
});

describe("the address policy", () => {
  it.each(nonPublic)(
    "refuses a host that resolves to %s (%s), naming it and the flag",
    async (_name, address) => {
      const family = address.includes(":") ? 6 : 4;
      const outcome = await ask(
        "registry.test:5000",
        {},
        { allowedNetworks: [], lookup: async () => [{ address, family }] },
      );
      expect(outcome).toEqual({
        reason: "Skipped",
        message: `GET https://registry.test:5000/v2/ was not sent: registry.test resolves to ${address}, a non-public address; the operator probes non-public addresses only in the networks of --verify-allowed-networks`,
      });
    },
  );

  it.each<[string, string]>([
    ["a private IPv4 address", "10.1.2.3:5000"],
    ["the metadata address", "169.254.169.254"],
    ["a bracketed IPv6 address with a port", "[fd00::1]:5000"],
    ["a bracketed IPv4-mapped address", "[::ffff:192.168.0.1]"],
    ["loopback, not allowed here", "127.0.0.1:5000"],
  ])("refuses a literal host that is %s", async (_name, host) => {
    const outcome = await ask(host, {}, { allowedNetworks: [] });
    expect(outcome).toEqual({
      reason: "Skipped",
      message: expect.stringMatching(
        / was not sent: \S+ is a non-public address; .*--verify-allowed-networks$/,
      ),
    });
  });

  it("refuses a name when any of its addresses is non-public", async () => {
    const outcome = await ask(
      "registry.test",
      {},
      {
        lookup: async () => [
          { address: "93.184.215.14", family: 4 },
          { address: "10.0.0.7", family: 4 },
        ],
      },
    );
    expect(outcome.message).toMatch(/registry\.test resolves to 10\.0\.0\.7, a non-public address/);
  });

  it("connects to the address it admitted, not to a second resolution", async () => {
    const registry = await registryOf("basic");
    const port = new URL(registry.registry.origin).port;
    const resolved: string[] = [];
    const outcome = await ask(
      registry,
      {},
      {
        originOf: () => `https://registry.test:${port}`,
        lookup: async (name) => {
          resolved.push(name);
          return [{ address: "127.0.0.1", family: 4 }];
        },
      },
    );
    // registry.test is in no DNS: the connection reached the fake only through the admitted address.
    expect(outcome).toEqual({
      reason: "Authenticated",
      message: `GET https://registry.test:${port}/v2/ answered 200`,
    });
    expect(resolved).toEqual(["registry.test"]);
  });

  it("reaches an allowed network through a bracketed IPv4-mapped literal", async () => {
    const registry = await registryOf("basic", { plain: true });
    const host = `[::ffff:127.0.0.1]:${new URL(registry.registry.origin).port}`;
    const outcome = await ask(host, {}, { insecureHosts: [host] });
    expect(outcome).toEqual({
      reason: "Authenticated",
      message: expect.stringMatching(/^GET http:\/\/\[::ffff:7f00:1\]:\d+\/v2\/ answered 200$/),
    });
  });

  it.each<[string, string, string, RegExp]>([
    [
      "refuses a realm at the metadata address",
      "https://169.254.169.254/token",
      "",
      /^GET https:\/\/169\.254\.169\.254\/token was not sent: 169\.254\.169\.254 is a non-public address/,
    ],
    [
      "refuses a realm whose name resolves to a private address",
      "https://auth.test/token",
      "10.9.8.7",
      /^GET https:\/\/auth\.test\/token was not sent: auth\.test resolves to 10\.9\.8\.7, a non-public address/,
    ],
  ])("%s, sending it no credential", async (_name, realm, address, message) => {
    const registry = await registryOf("basic");
    registry.registry.force("/v2/", {
      status: 401,
      headers: { "www-authenticate": `Bearer realm="${realm}",service="s"` },
    });
    const outcome = await ask(registry, {}, { lookup: async () => [{ address, family: 4 }] });
    expect(outcome).toEqual({ reason: "Skipped", message: expect.stringMatching(message) });
  });

  it("admits a realm on another origin whose name resolves into an allowed network", async () => {
    const registry = await registryOf("bearer-other-origin");
    const tokenPort = new URL(registry.realm).port;
    registry.registry.force("/v2/", (request) =>
      request.authorization === "bearer"
        ? { status: 200, body: "{}" }
        : {
            status: 401,
            headers: {
              "www-authenticate": `Bearer realm="https://auth.test:${tokenPort}/token",service="fake-registry"`,
            },
          },
    );
    const outcome = await ask(registry, {}, { lookup: async () => [{ address: "127.0.0.1", family: 4 }] });
    expect(outcome).toEqual({
      reason: "Authenticated",
      message: expect.stringMatching(new RegExp(`with a token from https://auth\\.test:${tokenPort}/token$`)),
    });
  });

  it("finds a host that does not resolve Unreachable", async () => {
    const unresolved = Object.assign(new Error("getaddrinfo ENOTFOUND registry.test"), { code: "ENOTFOUND" });
    const outcome = await ask("registry.test", {}, { lookup: () => Promise.reject(unresolved) });
    expect(outcome).toEqual({
      reason: "Unreachable",
      message: "GET https://registry.test/v2/: getaddrinfo ENOTFOUND registry.test",
    });
  });
});

describe("a probe through HTTPS_PROXY", () => {
  it("tunnels to the registry, still checking the host's own addresses first", async () => {
    const proxy = await new FakeForwardProxy().start();
    started.push(proxy);
    const registry = await registryOf("bearer-same-origin");
    const environment = { HTTPS_PROXY: proxy.url };
    expect((await ask(registry, {}, { environment })).reason).toBe("Authenticated");
    expect(proxy.targets()).toEqual([registry.registry.host]);
    const tunnels = proxy.requests.length;
    const refused = await ask(registry, {}, { environment, allowedNetworks: [] });
    expect(refused.reason).toBe("Skipped");
    expect(proxy.requests).toHaveLength(tunnels);
  });

  it("goes direct to a host NO_PROXY names", async () => {
    const proxy = await new FakeForwardProxy().start();
    started.push(proxy);
    const registry = await registryOf("basic");
    const environment = { HTTPS_PROXY: proxy.url, NO_PROXY: "127.0.0.1" };
    expect((await ask(registry, {}, { environment })).reason).toBe("Authenticated");
    expect(proxy.requests).toEqual([]);
  });
});

describe("an abort", () => {
  it("before the probe sends nothing and is Unreachable", async () => {
    const registry = await registryOf("basic");
    const outcome = await ask(registry, { signal: AbortSignal.abort() });
    expect(outcome).toEqual({ reason: "Unreachable", message: expect.stringMatching(/\/v2\/: aborted$/) });
    expect(seenPaths(registry)).toEqual([]);
  });

  it("during an exchange ends it as Unreachable", async () => {
    const registry = await registryOf("basic");
    const controller = new AbortController();
    registry.registry.force("/v2/", "hang");
    registry.registry.onRequest = () => controller.abort();
    const outcome = await ask(registry, { signal: controller.signal });
    expect(outcome).toEqual({ reason: "Unreachable", message: expect.stringMatching(/\/v2\/: aborted$/) });
  });
});

describe("the outcome's message", () => {
  const echoedToken = "ECHOED_BEARER_TOKEN_DISTINCTIVE_42";
  const codePassword = "PASSWORD_AS_AN_ERROR_CODE_QUOTED";

  it.each<[string, (registry: FakeRegistry) => void, Partial<ProbeRequest>, string]>([
    [
      "never shows a password a registry echoes in its realm and service",
      (registry) =>
        registry.registry.force("/v2/", {
          status: 401,
          headers: {
            "www-authenticate": `Bearer realm="${registry.realm}/${encodeURIComponent(password)}",service="${password}"`,
          },
        }),
      {},
      password,
    ],
    [
      "never shows a token a registry quotes as its error code",
      (registry) => {
        registry.tokens?.force("/token", { status: 200, body: JSON.stringify({ token: echoedToken }) });
        registry.registry.force("/v2/", (request) =>
          request.authorization === "bearer"
            ? { status: 401, body: distributionError(echoedToken) }
            : {
                status: 401,
                headers: { "www-authenticate": `Bearer realm="${registry.realm}",service="fake-registry"` },
              },
        );
      },
      {},
      echoedToken,
    ],
    [
      "never shows a password a registry quotes as its error code",
      (registry) => registry.registry.force("/v2/", { status: 403, body: distributionError(codePassword) }),
      { password: codePassword },
      codePassword,
    ],
  ])("%s", async (_name, arrange, request, secret) => {
    const registry = await registryOf("bearer-same-origin");
    arrange(registry);
    const outcome = await ask(registry, request);
    expect(outcome.message).toContain("[REDACTED]");
    expect(outcome.message).not.toContain(secret);
  });
});
