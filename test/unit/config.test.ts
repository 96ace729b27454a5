import { describe, expect, it } from "@jest/globals";
import {
  ambientIdentityPolicy,
  ConfigError,
  credentialSecretPolicy,
  type OperatorConfig,
  parseConfig,
} from "../../src/config.js";

/** parseConfig that fails the test when it returns "help". */
function config(argv: string[] = [], env: NodeJS.ProcessEnv = {}): OperatorConfig {
  const result = parseConfig(argv, env);
  if (result === "help") throw new Error("expected a configuration, got help");
  return result;
}

function configErrorOf(argv: string[], env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseConfig(argv, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("parseConfig", () => {
  it("applies the defaults when given no flags and no environment", () => {
    expect(config()).toEqual({
      operatorNamespace: "default",
      operatorKeySecret: "registry-credential-operator-key",
      allowAmbientGoogleAccessTokens: false,
      ambientIdentityNamespaces: ["default"],
      credentialSecretNamespaces: ["default"],
      metricsAddress: { host: "0.0.0.0", port: 8080 },
      logLevel: "info",
      concurrency: 8,
      kubeApiQps: 50,
      kubeApiBurst: 100,
      google: {},
      azure: {},
      verification: { allowedNetworks: [], insecureRegistries: [], refusedRemintMs: 300_000 },
      pullFailureRemintMs: 300_000,
      watchPullFailures: true,
      watchReferencedSecrets: true,
      mintRates: { ecr: { perSecond: 20, burst: 200 }, ecrPublic: { perSecond: 20, burst: 200 } },
    });
  });

  it("reads the registry check's policy from flags or the environment, and turns it off when asked", () => {
    expect(
      config(
        ["--verify-allowed-networks", "127.0.0.0/8, fd00::/8", "--verify-refused-remint-interval", "90s"],
        { VERIFY_INSECURE_REGISTRIES: "registry.local:5000" },
      ).verification,
    ).toEqual({
      allowedNetworks: ["127.0.0.0/8", "fd00::/8"],
      insecureRegistries: ["registry.local:5000"],
      refusedRemintMs: 90_000,
    });
    expect(config(["--disable-registry-verification"]).verification).toBeUndefined();
    expect(config([], { PULL_FAILURE_REMINT_INTERVAL: "1m" }).pullFailureRemintMs).toBe(60_000);
    expect(config(["--disable-pull-failure-watch"]).watchPullFailures).toBe(false);
  });

  it("turns the referenced-Secret watch off when asked, by flag or environment", () => {
    expect(config(["--disable-referenced-secret-watch"]).watchReferencedSecrets).toBe(false);
    expect(config([], { DISABLE_REFERENCED_SECRET_WATCH: "true" }).watchReferencedSecrets).toBe(false);
  });

  it("reads the ACR host allow-list and Entra's endpoint from flags or the environment", () => {
    expect(config(["--acr-allowed-hosts", "*.azurecr.io, registry.internal:5000,"]).azure).toEqual({
      allowedRegistryHosts: ["*.azurecr.io", "registry.internal:5000"],
    });
    expect(config([], { AZURE_AUTHORITY_HOST: "https://login.microsoftonline.us" }).azure).toEqual({
      authorityHost: "https://login.microsoftonline.us",
    });
  });

  it.each([["--help"], ["-h"]])("returns help for %s", (flag) => {
    expect(parseConfig([flag, "--concurrency", "nope"], {})).toBe("help");
  });

  it.each<[string, string, string, string, Partial<OperatorConfig>]>([
    ["--kubeconfig", "/flag/kubeconfig", "KUBECONFIG", "/env/kubeconfig", { kubeconfig: "/flag/kubeconfig" }],
    ["--namespace", "flag-ns", "WATCH_NAMESPACE", "env-ns", { watchNamespace: "flag-ns" }],
    ["--operator-namespace", "flag-op", "POD_NAMESPACE", "env-op", { operatorNamespace: "flag-op" }],
    [
      "--metrics-bind-address",
      "127.0.0.1:9090",
      "METRICS_BIND_ADDRESS",
      ":7070",
      { metricsAddress: { host: "127.0.0.1", port: 9090 } },
    ],
    ["--log-level", "debug", "LOG_LEVEL", "warn", { logLevel: "debug" }],
    ["--concurrency", "3", "CONCURRENCY", "5", { concurrency: 3 }],
    ["--kube-api-qps", "20", "KUBE_API_QPS", "30", { kubeApiQps: 20 }],
    ["--kube-api-burst", "40", "KUBE_API_BURST", "60", { kubeApiBurst: 40 }],
    [
      "--provider-rate-limits",
      "ecr=5/50,ecrPublic=off",
      "PROVIDER_RATE_LIMITS",
      "ecr=1/1",
      { mintRates: { ecr: { perSecond: 5, burst: 50 } } },
    ],
    [
      "--gcp-sts-url",
      "https://sts.flag.test/v1/token",
      "GCP_STS_URL",
      "https://sts.env.test/v1/token",
      { google: { stsTokenUrl: "https://sts.flag.test/v1/token" } },
    ],
    [
      "--gcp-iamcredentials-url",
      "https://iam.flag.test",
      "GCP_IAMCREDENTIALS_URL",
      "https://iam.env.test",
      { google: { iamCredentialsUrl: "https://iam.flag.test" } },
    ],
  ])("lets %s override the environment", (flag, flagValue, variable, envValue, expected) => {
    expect(config([flag, flagValue], { [variable]: envValue })).toMatchObject(expected);
    expect(config([`${flag}=${flagValue}`], { [variable]: envValue })).toMatchObject(expected);
  });

  it.each<[string, string, Partial<OperatorConfig>]>([
    ["KUBECONFIG", "/env/kubeconfig", { kubeconfig: "/env/kubeconfig" }],
    ["WATCH_NAMESPACE", "env-ns", { watchNamespace: "env-ns" }],
    ["POD_NAMESPACE", "env-op", { operatorNamespace: "env-op", ambientIdentityNamespaces: ["env-op"] }],
    ["METRICS_BIND_ADDRESS", ":7070", { metricsAddress: { host: "0.0.0.0", port: 7070 } }],
    ["LOG_LEVEL", "warn", { logLevel: "warn" }],
    ["CONCURRENCY", "5", { concurrency: 5 }],
    ["KUBE_API_QPS", "30", { kubeApiQps: 30 }],
    ["KUBE_API_BURST", "60", { kubeApiBurst: 60 }],
    [
      "GCP_STS_URL",
      "https://sts.env.test/v1/token",
      { google: { stsTokenUrl: "https://sts.env.test/v1/token" } },
    ],
  ])("reads %s when no flag is given", (variable, value, expected) => {
    expect(config([], { [variable]: value })).toMatchObject(expected);
  });

  it.each([
    ["no namespace list: the operator's namespace", [], {}, ["default"]],
    ["no list, operator namespace from POD_NAMESPACE", [], { POD_NAMESPACE: "regcred" }, ["regcred"]],
    [
      "a comma list with spaces and empty items",
      ["--ambient-identity-namespaces", " a, b ,,c "],
      {},
      ["a", "b", "c"],
    ],
    ["a list from the environment", [], { AMBIENT_IDENTITY_NAMESPACES: "x,y" }, ["x", "y"]],
    ["an empty list: no namespace at all", ["--ambient-identity-namespaces", ""], {}, []],
    ["*", ["--ambient-identity-namespaces", "*"], {}, "*"],
    ["* with spaces", [], { AMBIENT_IDENTITY_NAMESPACES: " * " }, "*"],
  ])("reads ambient identity namespaces from %s", (_name, argv, env, expected) => {
    expect(config(argv, env).ambientIdentityNamespaces).toEqual(expected);
  });

  it("splits GCP token URIs on commas, trimming spaces", () => {
    expect(config(["--gcp-token-uris", "https://a.test/token, https://b.test/token,"]).google).toEqual({
      allowedTokenUris: ["https://a.test/token", "https://b.test/token"],
    });
    expect(config([], { GCP_TOKEN_URIS: "https://c.test/token" }).google.allowedTokenUris).toEqual([
      "https://c.test/token",
    ]);
  });

  it.each([
    [":8080", { host: "0.0.0.0", port: 8080 }],
    ["0.0.0.0:9443", { host: "0.0.0.0", port: 9443 }],
    ["localhost:1", { host: "localhost", port: 1 }],
    [":65535", { host: "0.0.0.0", port: 65535 }],
  ])("parses the bind address %p", (text, expected) => {
    expect(config(["--metrics-bind-address", text]).metricsAddress).toEqual(expected);
  });

  it.each(["trace", "debug", "info", "warn", "error", "fatal", "silent"])("accepts log level %p", (level) => {
    expect(config(["--log-level", level]).logLevel).toBe(level);
  });

  it.each<[string, string[], NodeJS.ProcessEnv, string]>([
    ["a zero concurrency", ["--concurrency", "0"], {}, "--concurrency"],
    ["a negative concurrency", ["--concurrency", "-2"], {}, "--concurrency"],
    ["a fractional concurrency", ["--concurrency", "1.5"], {}, "--concurrency"],
    ["a non-numeric concurrency from the environment", [], { CONCURRENCY: "many" }, "--concurrency"],
    ["a non-numeric QPS", ["--kube-api-qps", "fast"], {}, "--kube-api-qps"],
    ["a zero QPS from the environment", [], { KUBE_API_QPS: "0" }, "--kube-api-qps"],
    ["a non-numeric burst", ["--kube-api-burst", "lots"], {}, "--kube-api-burst"],
    ["an unknown log level", ["--log-level", "verbose"], {}, "--log-level"],
    ["an upper-case log level from the environment", [], { LOG_LEVEL: "INFO" }, "--log-level"],
    ["a bind address without a port", ["--metrics-bind-address", "localhost"], {}, "--metrics-bind-address"],
    ["a bind address with a named port", ["--metrics-bind-address", ":http"], {}, "--metrics-bind-address"],
    ["a port above 65535", ["--metrics-bind-address", ":70000"], {}, "--metrics-bind-address"],
    ["an unknown flag", ["--no-such-flag"], {}, "--no-such-flag"],
    ["a flag without its value", ["--concurrency"], {}, "--concurrency"],
    [
      "an ACR allow-list entry that is a URL",
      ["--acr-allowed-hosts", "https://a.azurecr.io"],
      {},
      "--acr-allowed-hosts",
    ],
    [
      "an ACR wildcard over a whole top-level domain",
      ["--acr-allowed-hosts", "*.io"],
      {},
      "--acr-allowed-hosts",
    ],
    [
      "an allowed network that is an address",
      ["--verify-allowed-networks", "10.0.0.1"],
      {},
      "--verify-allowed-networks",
    ],
    [
      "an IPv4 network with a 33-bit prefix",
      ["--verify-allowed-networks", "10.0.0.0/33"],
      {},
      "--verify-allowed-networks",
    ],
    [
      "an insecure registry given as a URL",
      ["--verify-insecure-registries", "http://r.local"],
      {},
      "--verify-insecure-registries",
    ],
    [
      "a remint interval that is no duration",
      ["--pull-failure-remint-interval", "soon"],
      {},
      "--pull-failure-remint-interval",
    ],
    [
      "a rate limit for a provider without a cloud limit",
      ["--provider-rate-limits", "gar=10/10"],
      {},
      "--provider-rate-limits",
    ],
    [
      "an Entra endpoint over http",
      [],
      { AZURE_AUTHORITY_HOST: "http://login.test" },
      "--azure-authority-host",
    ],
  ])("throws a ConfigError naming the flag for %s", (_name, argv, env, flag) => {
    const error = configErrorOf(argv, env);
    expect(error.name).toBe("ConfigError");
    expect(error.message).toContain(flag);
  });

  it("quotes the rejected value in the message", () => {
    expect(configErrorOf(["--concurrency", "many"]).message).toContain('"many"');
  });
});

describe("ambientIdentityPolicy", () => {
  const withNamespaces = (ambientIdentityNamespaces: OperatorConfig["ambientIdentityNamespaces"]) =>
    ambientIdentityPolicy({ ...config(), ambientIdentityNamespaces });

  it.each<[string, OperatorConfig["ambientIdentityNamespaces"], string, boolean]>([
    ["allows every namespace under *", "*", "anything", true],
    ["allows a listed namespace", ["regcred", "team-a"], "team-a", true],
    ["refuses an unlisted namespace", ["regcred", "team-a"], "team-b", false],
    ["refuses a namespace that only shares a prefix", ["team"], "team-a", false],
    ["refuses every namespace under an empty list", [], "regcred", false],
  ])("%s", (_name, namespaces, namespace, allowed) => {
    expect(withNamespaces(namespaces)(namespace)).toBe(allowed);
  });

  it("allows only the operator's namespace by default", () => {
    const allowed = ambientIdentityPolicy(config([], { POD_NAMESPACE: "regcred" }));
    expect(allowed("regcred")).toBe(true);
    expect(allowed("default")).toBe(false);
  });
});

describe("credentialSecretPolicy", () => {
  it.each<[string, string[], NodeJS.ProcessEnv, string, boolean]>([
    ["allows the operator's namespace by default", [], { POD_NAMESPACE: "regcred" }, "regcred", true],
    ["refuses any other namespace by default", [], { POD_NAMESPACE: "regcred" }, "team-a", false],
    ["allows a listed namespace", ["--credential-secret-namespaces", "vault, shared"], {}, "shared", true],
    [
      "refuses the operator's namespace when the list leaves it out",
      ["--credential-secret-namespaces", "shared", "--operator-namespace", "regcred"],
      {},
      "regcred",
      false,
    ],
    [
      "refuses a namespace that only shares a prefix",
      ["--credential-secret-namespaces", "team"],
      {},
      "team-a",
      false,
    ],
    [
      "allows every namespace under * from the environment",
      [],
      { CREDENTIAL_SECRET_NAMESPACES: " * " },
      "any",
      true,
    ],
    [
      "refuses every namespace under an empty list",
      ["--credential-secret-namespaces", ""],
      {},
      "default",
      false,
    ],
  ])("%s", (_name, argv, env, namespace, allowed) => {
    expect(credentialSecretPolicy(config(argv, env))(namespace)).toBe(allowed);
  });

  it("falls back on the operator's namespace for a configuration built without the field", () => {
    const { credentialSecretNamespaces: _omitted, ...rest } = config([], { POD_NAMESPACE: "regcred" });
    expect(credentialSecretPolicy({ ...rest })("regcred")).toBe(true);
    expect(credentialSecretPolicy({ ...rest })("default")).toBe(false);
  });
});
