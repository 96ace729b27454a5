import { parseArgs } from "node:util";
import { validateTimings } from "./leader/lease-elector.js";
import type { LogLevel } from "./logging/logger.js";
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
  /**
   * Leader election on a Lease, when set (--leader-elect): only the replica holding the Lease
   * reconciles. Unset: this process reconciles unconditionally (a single replica).
   */
  leaderElection?: LeaderElectionConfig;
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

export const usage = `usage: registry-credential-operator [flags]

Flags (each also read from the environment variable in brackets):
  --kubeconfig PATH                      kubeconfig to use [KUBECONFIG]; in-cluster config when unset
  --namespace NS                         watch only this namespace [WATCH_NAMESPACE]; default all
  --operator-namespace NS                namespace the operator runs in [POD_NAMESPACE]; default "default"
  --operator-key-secret NAME             Secret in the operator namespace holding the key of login digests
                                         and Secret signatures, created when missing [OPERATOR_KEY_SECRET];
                                         default registry-credential-operator-key
  --ambient-identity-namespaces LIST     namespaces whose RegistryCredentials may use the operator's own
                                         cloud identity: "*" or a comma-separated list
                                         [AMBIENT_IDENTITY_NAMESPACES]; default: the operator namespace
  --allow-ambient-google-access-tokens   let ClusterRegistryCredentials write the operator's own Google
                                         access token (gar sources with no auth and no impersonate) into
                                         every namespace they select [ALLOW_AMBIENT_GOOGLE_ACCESS_TOKENS=true];
                                         default off: such sources must impersonate a reader account
  --metrics-bind-address HOST:PORT       /metrics, /healthz, /readyz [METRICS_BIND_ADDRESS]; default :8080
  --log-level LEVEL                      trace|debug|info|warn|error [LOG_LEVEL]; default info
  --concurrency N                        reconciles in parallel [CONCURRENCY]; default 8
  --kube-api-qps N                       sustained apiserver requests/s [KUBE_API_QPS]; default 50
  --kube-api-burst N                     apiserver request burst [KUBE_API_BURST]; default 100
  --webhook-port N                       serve the pod admission webhook on this port [WEBHOOK_PORT]
  --webhook-service NAME                 Service in the operator namespace that fronts the webhook [WEBHOOK_SERVICE]
  --webhook-url URL                      the webhook's URL instead of a Service (out of cluster) [WEBHOOK_URL]
  --webhook-configuration NAME           MutatingWebhookConfiguration to manage [WEBHOOK_CONFIGURATION];
                                         default registry-credential-operator
  --gcp-sts-url URL                      Google STS token endpoint [GCP_STS_URL]
  --gcp-iamcredentials-url URL           Google IAM Credentials API base [GCP_IAMCREDENTIALS_URL]
  --gcp-token-uris LIST                  token_uri values a service-account key may name
                                         [GCP_TOKEN_URIS]; default https://oauth2.googleapis.com/token
  --leader-elect                         only the replica holding a Lease reconciles [LEADER_ELECT=true];
                                         default off (one replica reconciles unconditionally)
  --leader-election-namespace NS         namespace of the Lease [LEADER_ELECTION_NAMESPACE];
                                         default the operator namespace
  --leader-election-id NAME              name of the Lease [LEADER_ELECTION_ID];
                                         default registry-credential-operator
  --lease-duration DURATION              how long followers wait before taking over an unrenewed
                                         Lease [LEASE_DURATION]; default 15s
  --renew-deadline DURATION              how long the leader retries renewing before it gives up
                                         leading [RENEW_DEADLINE]; default 10s
  --retry-period DURATION                wait between acquire/renew attempts [RETRY_PERIOD]; default 2s
  -h, --help                             show this help`;

/** Thrown for a flag or variable with an invalid value; the message names it. */
export class ConfigError extends Error {
  override name = "ConfigError";
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

function duration(name: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw new ConfigError(`${name}: ${(error as Error).message}`);
  }
}

function booleanValue(name: string, text: string): boolean {
  const normalized = text.trim().toLowerCase();
  if (["true", "1", "yes"].includes(normalized)) return true;
  if (["false", "0", "no", ""].includes(normalized)) return false;
  throw new ConfigError(`${name} must be true or false, got "${text}"`);
}

function leaderElectionConfig(
  enabled: boolean,
  operatorNamespace: string,
  pick: (flag: string, variable: string) => string | undefined,
): Pick<OperatorConfig, "leaderElection"> {
  if (!enabled) return {};
  const leaseDurationMs = duration("--lease-duration", pick("lease-duration", "LEASE_DURATION") ?? "15s");
  const renewDeadlineMs = duration("--renew-deadline", pick("renew-deadline", "RENEW_DEADLINE") ?? "10s");
  const retryPeriodMs = duration("--retry-period", pick("retry-period", "RETRY_PERIOD") ?? "2s");
  try {
    validateTimings({ leaseDurationMs, renewDeadlineMs, retryPeriodMs });
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  return {
    leaderElection: {
      namespace: pick("leader-election-namespace", "LEADER_ELECTION_NAMESPACE") || operatorNamespace,
      name: pick("leader-election-id", "LEADER_ELECTION_ID") || "registry-credential-operator",
      leaseDurationMs,
      renewDeadlineMs,
      retryPeriodMs,
    },
  };
}

const logLevels: LogLevel[] = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

/** Reads flags, falling back to environment variables, then defaults. Throws ConfigError. */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): OperatorConfig | "help" {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        kubeconfig: { type: "string" },
        namespace: { type: "string" },
        "operator-namespace": { type: "string" },
        "operator-key-secret": { type: "string" },
        "ambient-identity-namespaces": { type: "string" },
        "metrics-bind-address": { type: "string" },
        "log-level": { type: "string" },
        concurrency: { type: "string" },
        "kube-api-qps": { type: "string" },
        "kube-api-burst": { type: "string" },
        "gcp-sts-url": { type: "string" },
        "webhook-port": { type: "string" },
        "webhook-service": { type: "string" },
        "webhook-url": { type: "string" },
        "webhook-configuration": { type: "string" },
        "gcp-iamcredentials-url": { type: "string" },
        "gcp-token-uris": { type: "string" },
        "leader-elect": { type: "boolean" },
        "allow-ambient-google-access-tokens": { type: "boolean" },
        "leader-election-namespace": { type: "string" },
        "leader-election-id": { type: "string" },
        "lease-duration": { type: "string" },
        "renew-deadline": { type: "string" },
        "retry-period": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  if (values.help) return "help";
  const pick = (flag: string, variable: string) =>
    (values[flag] as string | undefined) ?? env[variable] ?? undefined;

  // An empty POD_NAMESPACE (or flag) means unset, not the namespace "".
  const operatorNamespace = pick("operator-namespace", "POD_NAMESPACE") || "default";
  const ambient = pick("ambient-identity-namespaces", "AMBIENT_IDENTITY_NAMESPACES");
  const logLevel = (pick("log-level", "LOG_LEVEL") ?? "info") as LogLevel;
  if (!logLevels.includes(logLevel))
    throw new ConfigError(`--log-level must be one of ${logLevels.join(", ")}`);
  const watchNamespace = pick("namespace", "WATCH_NAMESPACE");
  const kubeconfig = pick("kubeconfig", "KUBECONFIG");
  const allowAmbientGoogleAccessTokens =
    values["allow-ambient-google-access-tokens"] === true ||
    (env.ALLOW_AMBIENT_GOOGLE_ACCESS_TOKENS !== undefined &&
      booleanValue("ALLOW_AMBIENT_GOOGLE_ACCESS_TOKENS", env.ALLOW_AMBIENT_GOOGLE_ACCESS_TOKENS));
  const leaderElect =
    values["leader-elect"] === true ||
    (env.LEADER_ELECT !== undefined && booleanValue("LEADER_ELECT", env.LEADER_ELECT));
  return {
    ...(kubeconfig ? { kubeconfig } : {}),
    ...(watchNamespace ? { watchNamespace } : {}),
    operatorNamespace,
    allowAmbientGoogleAccessTokens,
    operatorKeySecret:
      pick("operator-key-secret", "OPERATOR_KEY_SECRET") || "registry-credential-operator-key",
    ambientIdentityNamespaces:
      ambient === undefined
        ? [operatorNamespace]
        : ambient.trim() === "*"
          ? "*"
          : ambient
              .split(",")
              .map((n) => n.trim())
              .filter(Boolean),
    metricsAddress: bindAddress(pick("metrics-bind-address", "METRICS_BIND_ADDRESS") ?? ":8080"),
    logLevel,
    concurrency: positiveInteger("--concurrency", pick("concurrency", "CONCURRENCY") ?? "8"),
    kubeApiQps: positiveInteger("--kube-api-qps", pick("kube-api-qps", "KUBE_API_QPS") ?? "50"),
    kubeApiBurst: positiveInteger("--kube-api-burst", pick("kube-api-burst", "KUBE_API_BURST") ?? "100"),
    ...webhookConfig(
      pick("webhook-port", "WEBHOOK_PORT"),
      pick("webhook-service", "WEBHOOK_SERVICE"),
      pick("webhook-url", "WEBHOOK_URL"),
      pick("webhook-configuration", "WEBHOOK_CONFIGURATION"),
    ),
    google: googleEndpoints(
      pick("gcp-sts-url", "GCP_STS_URL"),
      pick("gcp-iamcredentials-url", "GCP_IAMCREDENTIALS_URL"),
      pick("gcp-token-uris", "GCP_TOKEN_URIS"),
    ),
    ...leaderElectionConfig(leaderElect, operatorNamespace, pick),
  };
}

/** Whether RegistryCredentials in `namespace` may use the operator's ambient identity under `config`. */
export function ambientIdentityPolicy(config: OperatorConfig): (namespace: string) => boolean {
  const allowed = config.ambientIdentityNamespaces;
  return allowed === "*" ? () => true : (namespace) => allowed.includes(namespace);
}
