import { isIP } from "node:net";
import { ConfigError, type Flags, readFlags } from "./flags.js";

export { ConfigError, usage } from "./flags.js";

import { validateTimings } from "./leader/lease-elector.js";
import type { LogLevel } from "./logging/logger.js";
import { allowListEntryProblem } from "./providers/acr/host-allow-list.js";
import type { ProviderName } from "./providers/registry.js";
import type { MintRate } from "./tokens/mint-rate-limiter.js";
import { parseMintRates } from "./tokens/mint-rates.js";
import { parseDuration } from "./util/duration.js";
import type { WebhookServing } from "./webhook/start-webhook.js";

export interface OperatorConfig {
  /** Path of a kubeconfig; in-cluster configuration when undefined and running in a pod. */
  kubeconfig?: string;
  /** Watch only this namespace; all namespaces when undefined. */
  watchNamespace?: string;
  /** The namespace the operator runs in. */
  operatorNamespace: string;
  /**
   * The Secret in the operator namespace holding the operator key (created when missing), which
   * keys the login digests in status and the signatures on managed Secrets.
   */
  operatorKeySecret: string;
  /**
   * Namespaces whose RegistryCredentials may use the operator's own ambient cloud identity:
   * "*" for all, else a list. Default: the operator's namespace only.
   */
  ambientIdentityNamespaces: "*" | string[];
  /**
   * Namespaces from which ClusterRegistryCredentials may read the Secrets their sources reference:
   * "*" for all, else a list. Default (also when undefined): the operator's namespace only.
   */
  credentialSecretNamespaces?: "*" | string[];
  /**
   * Whether ClusterRegistryCredentials may write the operator's own Google access token (a gar
   * source with no auth and no impersonate) into the namespaces they select. Default false.
   */
  allowAmbientGoogleAccessTokens: boolean;
  metricsAddress: { host: string; port: number };
  logLevel: LogLevel;
  concurrency: number;
  kubeApiQps: number;
  kubeApiBurst: number;
  /**
   * The pod admission webhook: served on `port` when set. The apiserver reaches it through the
   * Service `service` in the operator's namespace, or at `url` (for out-of-cluster runs).
   */
  webhook?: WebhookServing;
  /** Google endpoint overrides (for private or test endpoints); Google's own when undefined. */
  google: { stsTokenUrl?: string; iamCredentialsUrl?: string; allowedTokenUris?: string[] };
  /** Azure overrides: Entra's endpoint and the hosts acr sources may name; Azure's defaults when undefined. */
  azure: { authorityHost?: string; allowedRegistryHosts?: string[] };
  /** How new logins are checked against their registries; undefined with --disable-registry-verification. */
  verification?: VerificationConfig;
  /** --pull-failure-remint-interval: the least time between two pull-failure mints of one identity. */
  pullFailureRemintMs: number;
  /** Watch pods for image-pull failures (false with --disable-pull-failure-watch). */
  watchPullFailures: boolean;
  /** Watch the Secrets sources read, re-running their credentials on a change (false with --disable-referenced-secret-watch). */
  watchReferencedSecrets: boolean;
  /** --provider-rate-limits: mints per second and burst per cloud quota, by provider (none: unlimited). */
  mintRates: Partial<Record<ProviderName, MintRate>>;
  /**
   * Leader election on a Lease, when set (--leader-elect): only the replica holding the Lease
   * reconciles. Unset: this process reconciles unconditionally (a single replica).
   */
  leaderElection?: LeaderElectionConfig;
}

interface VerificationConfig {
  /** CIDRs of non-public addresses the check may connect to (--verify-allowed-networks). */
  allowedNetworks: string[];
  /** Hosts the check may ask over plain http (--verify-insecure-registries). */
  insecureRegistries: string[];
  /** --verify-refused-remint-interval. */
  refusedRemintMs: number;
}

interface LeaderElectionConfig {
  /** Namespace of the Lease; default the operator's namespace. */
  namespace: string;
  /** The Lease's name. */
  name: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** A namespace list flag: "*", or comma-separated names; `fallback` when unset. */
function namespaceList(text: string | undefined, fallback: string): "*" | string[] {
  if (text === undefined) return [fallback];
  if (text.trim() === "*") return "*";
  return text
    .split(",")
    .map((n) => n.trim())
    .filter(Boolean);
}

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new ConfigError(`${name} must be a positive integer, got "${text}"`);
  return value;
}

function bindAddress(text: string): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(text);
  if (!match) throw new ConfigError(`--metrics-bind-address must be HOST:PORT or :PORT, got "${text}"`);
  const port = Number(match[2]);
  if (port > 65535) throw new ConfigError(`--metrics-bind-address port out of range: ${port}`);
  return { host: match[1] || "0.0.0.0", port };
}

function webhookConfig(
  port?: string,
  service?: string,
  url?: string,
  name?: string,
  owner?: string,
): Pick<OperatorConfig, "webhook"> {
  if (!port) return {};
  if (!service && !url) throw new ConfigError("--webhook-port needs --webhook-service or --webhook-url");
  return {
    webhook: {
      host: "0.0.0.0",
      port: positiveInteger("--webhook-port", port),
      ...(service ? { service } : {}),
      ...(url ? { url } : {}),
      configurationName: name || "registry-credential-operator",
      ...(owner ? { configurationOwner: owner } : {}),
    },
  };
}

function googleEndpoints(sts?: string, iam?: string, tokenUris?: string): OperatorConfig["google"] {
  return {
    ...(sts ? { stsTokenUrl: sts } : {}),
    ...(iam ? { iamCredentialsUrl: iam } : {}),
    ...(tokenUris
      ? {
          allowedTokenUris: tokenUris
            .split(",")
            .map((u) => u.trim())
            .filter(Boolean),
        }
      : {}),
  };
}

function azureConfig(allowedHosts?: string, authorityHost?: string): OperatorConfig["azure"] {
  const hosts = allowedHosts
    ?.split(",")
    .map((h) => h.trim())
    .filter(Boolean);
  for (const host of hosts ?? []) {
    const problem = allowListEntryProblem(host);
    if (problem) throw new ConfigError(`--acr-allowed-hosts: ${problem}`);
  }
  if (authorityHost !== undefined && !/^https:\/\/[^/]+\/?$/.test(authorityHost))
    throw new ConfigError(
      "--azure-authority-host must be an https URL without a path, e.g. https://login.microsoftonline.com",
    );
  return {
    ...(hosts?.length ? { allowedRegistryHosts: hosts } : {}),
    ...(authorityHost ? { authorityHost } : {}),
  };
}

/** One CIDR's problem, or undefined: an IPv4 or IPv6 address, "/", and a prefix length that fits it. */
function cidrProblem(cidr: string): string | undefined {
  const [address = "", prefix, extra] = cidr.split("/");
  const family = isIP(address);
  if (family === 0 || prefix === undefined || extra !== undefined || !/^[0-9]{1,3}$/.test(prefix))
    return `"${cidr}" is not a CIDR such as 10.0.0.0/8 or fd00::/8`;
  if (Number(prefix) > (family === 4 ? 32 : 128)) return `"${cidr}" has a prefix longer than its address`;
  return undefined;
}

function list(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
}

function verificationConfig(disabled: boolean, pick: Flags["value"]): Pick<OperatorConfig, "verification"> {
  if (disabled) return {};
  const allowedNetworks = list(pick("verify-allowed-networks"));
  for (const cidr of allowedNetworks) {
    const problem = cidrProblem(cidr);
    if (problem) throw new ConfigError(`--verify-allowed-networks: ${problem}`);
  }
  const insecureRegistries = list(pick("verify-insecure-registries"));
  for (const host of insecureRegistries)
    if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$|^\[[0-9a-f:.]+\](:[0-9]{1,5})?$/i.test(host))
      throw new ConfigError(`--verify-insecure-registries: "${host}" is not a host or host:port`);
  return {
    verification: {
      allowedNetworks,
      insecureRegistries,
      refusedRemintMs: duration(
        "--verify-refused-remint-interval",
        pick("verify-refused-remint-interval") ?? "5m",
      ),
    },
  };
}

function mintRates(text: string | undefined): OperatorConfig["mintRates"] {
  try {
    return parseMintRates(text);
  } catch (error) {
    throw new ConfigError(`--provider-rate-limits: ${(error as Error).message}`);
  }
}

function duration(name: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw new ConfigError(`${name}: ${(error as Error).message}`);
  }
}

function leaderElectionConfig(
  enabled: boolean,
  operatorNamespace: string,
  pick: Flags["value"],
): Pick<OperatorConfig, "leaderElection"> {
  if (!enabled) return {};
  const leaseDurationMs = duration("--lease-duration", pick("lease-duration") ?? "15s");
  const renewDeadlineMs = duration("--renew-deadline", pick("renew-deadline") ?? "10s");
  const retryPeriodMs = duration("--retry-period", pick("retry-period") ?? "2s");
  try {
    validateTimings({ leaseDurationMs, renewDeadlineMs, retryPeriodMs });
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  return {
    leaderElection: {
      namespace: pick("leader-election-namespace") || operatorNamespace,
      name: pick("leader-election-id") || "registry-credential-operator",
      leaseDurationMs,
      renewDeadlineMs,
      retryPeriodMs,
    },
  };
}

const logLevels: LogLevel[] = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

/** Reads flags, falling back to environment variables, then defaults. Throws ConfigError. */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): OperatorConfig | "help" {
  const flags = readFlags(argv, env);
  if (flags.help) return "help";
  const pick = flags.value;

  // An empty POD_NAMESPACE (or flag) means unset, not the namespace "".
  const operatorNamespace = pick("operator-namespace") || "default";
  const ambient = pick("ambient-identity-namespaces");
  const logLevel = (pick("log-level") ?? "info") as LogLevel;
  if (!logLevels.includes(logLevel))
    throw new ConfigError(`--log-level must be one of ${logLevels.join(", ")}`);
  const watchNamespace = pick("namespace");
  const kubeconfig = pick("kubeconfig");
  const allowAmbientGoogleAccessTokens = flags.enabled("allow-ambient-google-access-tokens");
  const leaderElect = flags.enabled("leader-elect");
  return {
    ...(kubeconfig ? { kubeconfig } : {}),
    ...(watchNamespace ? { watchNamespace } : {}),
    operatorNamespace,
    allowAmbientGoogleAccessTokens,
    operatorKeySecret: pick("operator-key-secret") || "registry-credential-operator-key",
    ambientIdentityNamespaces:
      ambient === undefined
        ? [operatorNamespace]
        : ambient.trim() === "*"
          ? "*"
          : ambient
              .split(",")
              .map((n) => n.trim())
              .filter(Boolean),
    credentialSecretNamespaces: namespaceList(pick("credential-secret-namespaces"), operatorNamespace),
    metricsAddress: bindAddress(pick("metrics-bind-address") ?? ":8080"),
    logLevel,
    concurrency: positiveInteger("--concurrency", pick("concurrency") ?? "8"),
    kubeApiQps: positiveInteger("--kube-api-qps", pick("kube-api-qps") ?? "50"),
    kubeApiBurst: positiveInteger("--kube-api-burst", pick("kube-api-burst") ?? "100"),
    ...webhookConfig(
      pick("webhook-port"),
      pick("webhook-service"),
      pick("webhook-url"),
      pick("webhook-configuration"),
      pick("webhook-configuration-owner"),
    ),
    google: googleEndpoints(pick("gcp-sts-url"), pick("gcp-iamcredentials-url"), pick("gcp-token-uris")),
    azure: azureConfig(pick("acr-allowed-hosts"), pick("azure-authority-host") || undefined),
    ...verificationConfig(flags.enabled("disable-registry-verification"), pick),
    watchPullFailures: !flags.enabled("disable-pull-failure-watch"),
    watchReferencedSecrets: !flags.enabled("disable-referenced-secret-watch"),
    mintRates: mintRates(pick("provider-rate-limits")),
    pullFailureRemintMs: duration(
      "--pull-failure-remint-interval",
      pick("pull-failure-remint-interval") ?? "5m",
    ),
    ...leaderElectionConfig(leaderElect, operatorNamespace, pick),
  };
}

/** Whether RegistryCredentials in `namespace` may use the operator's ambient identity under `config`. */
export function ambientIdentityPolicy(config: OperatorConfig): (namespace: string) => boolean {
  const allowed = config.ambientIdentityNamespaces;
  return allowed === "*" ? () => true : (namespace) => allowed.includes(namespace);
}

/** Whether ClusterRegistryCredentials may read their sources' Secrets in `namespace` under `config`. */
export function credentialSecretPolicy(config: OperatorConfig): (namespace: string) => boolean {
  const allowed = config.credentialSecretNamespaces ?? [config.operatorNamespace];
  return allowed === "*" ? () => true : (namespace) => allowed.includes(namespace);
}
