import { type ParseArgsOptionsConfig, parseArgs } from "node:util";

/** Thrown for a flag or variable with an invalid value; the message names it. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** One flag of the operator: its environment variable, its value's placeholder (none: a switch) and its help. */
interface FlagSpec {
  env: string;
  value?: string;
  help: string;
}

/** Every flag, once: the parser, the environment fallbacks and the usage text all come from here. */
const flags = {
  kubeconfig: { env: "KUBECONFIG", value: "PATH", help: "kubeconfig to use; in-cluster config when unset" },
  namespace: { env: "WATCH_NAMESPACE", value: "NS", help: "watch only this namespace; default all" },
  "operator-namespace": {
    env: "POD_NAMESPACE",
    value: "NS",
    help: 'namespace the operator runs in; default "default"',
  },
  "operator-key-secret": {
    env: "OPERATOR_KEY_SECRET",
    value: "NAME",
    help: "Secret in the operator namespace holding the key of login digests and Secret signatures, created when missing; default registry-credential-operator-key",
  },
  "ambient-identity-namespaces": {
    env: "AMBIENT_IDENTITY_NAMESPACES",
    value: "LIST",
    help: 'namespaces whose RegistryCredentials may use the operator\'s own cloud identity: "*" or a comma-separated list; default: the operator namespace',
  },
  "credential-secret-namespaces": {
    env: "CREDENTIAL_SECRET_NAMESPACES",
    value: "LIST",
    help: 'namespaces from which ClusterRegistryCredentials may read the Secrets their sources reference (keys, key files, static and dockerconfig credentials): "*" or a comma-separated list; default: the operator namespace',
  },
  "allow-ambient-google-access-tokens": {
    env: "ALLOW_AMBIENT_GOOGLE_ACCESS_TOKENS",
    help: "let ClusterRegistryCredentials write the operator's own Google access token (gar sources with no auth and no impersonate) into every namespace they select; default off: such sources must impersonate a reader account",
  },
  "metrics-bind-address": {
    env: "METRICS_BIND_ADDRESS",
    value: "HOST:PORT",
    help: "/metrics, /healthz, /readyz; default :8080",
  },
  "log-level": { env: "LOG_LEVEL", value: "LEVEL", help: "trace|debug|info|warn|error; default info" },
  concurrency: { env: "CONCURRENCY", value: "N", help: "reconciles in parallel; default 8" },
  "kube-api-qps": { env: "KUBE_API_QPS", value: "N", help: "sustained apiserver requests/s; default 50" },
  "kube-api-burst": { env: "KUBE_API_BURST", value: "N", help: "apiserver request burst; default 100" },
  "webhook-port": { env: "WEBHOOK_PORT", value: "N", help: "serve the pod admission webhook on this port" },
  "webhook-service": {
    env: "WEBHOOK_SERVICE",
    value: "NAME",
    help: "Service in the operator namespace that fronts the webhook",
  },
  "webhook-url": {
    env: "WEBHOOK_URL",
    value: "URL",
    help: "the webhook's URL instead of a Service (out of cluster)",
  },
  "webhook-configuration": {
    env: "WEBHOOK_CONFIGURATION",
    value: "NAME",
    help: "MutatingWebhookConfiguration to manage; default registry-credential-operator",
  },
  "webhook-configuration-owner": {
    env: "WEBHOOK_CONFIGURATION_OWNER",
    value: "NAME",
    help: "ClusterRole that owns the MutatingWebhookConfiguration, so deleting it (helm uninstall) deletes the configuration",
  },
  "gcp-sts-url": { env: "GCP_STS_URL", value: "URL", help: "Google STS token endpoint" },
  "gcp-iamcredentials-url": {
    env: "GCP_IAMCREDENTIALS_URL",
    value: "URL",
    help: "Google IAM Credentials API base",
  },
  "gcp-token-uris": {
    env: "GCP_TOKEN_URIS",
    value: "LIST",
    help: "token_uri values a service-account key may name; default https://oauth2.googleapis.com/token",
  },
  "acr-allowed-hosts": {
    env: "ACR_ALLOWED_HOSTS",
    value: "LIST",
    help: "registry hosts acr sources may name, the only hosts that ever receive an Entra token: comma-separated host[:port] or *.<suffix>; default *.azurecr.io,*.azurecr.cn,*.azurecr.us",
  },
  "azure-authority-host": {
    env: "AZURE_AUTHORITY_HOST",
    value: "URL",
    help: "Microsoft Entra endpoint; default https://login.microsoftonline.com",
  },
  "disable-registry-verification": {
    env: "DISABLE_REGISTRY_VERIFICATION",
    help: "never check new logins against their registries (no Verified condition); default: check each new login once per host",
  },
  "verify-allowed-networks": {
    env: "VERIFY_ALLOWED_NETWORKS",
    value: "LIST",
    help: "comma-separated CIDRs of loopback, private or link-local addresses the registry check may connect to (public addresses always); default none",
  },
  "verify-insecure-registries": {
    env: "VERIFY_INSECURE_REGISTRIES",
    value: "LIST",
    help: "comma-separated registry hosts (host[:port]) the registry check may ask over plain http; default none (https only)",
  },
  "verify-refused-remint-interval": {
    env: "VERIFY_REFUSED_REMINT_INTERVAL",
    value: "DURATION",
    help: "how old a login a registry refused may get before its source is minted again; default 5m",
  },
  "provider-rate-limits": {
    env: "PROVIDER_RATE_LIMITS",
    value: "LIST",
    help: 'mints per second and burst per cloud account and region, by provider: comma-separated "<provider>=<rate>/<burst>" or "<provider>=off"; default ecr=20/200,ecrPublic=20/200 (ECR\'s documented GetAuthorizationToken limit)',
  },
  "disable-referenced-secret-watch": {
    env: "DISABLE_REFERENCED_SECRET_WATCH",
    help: "do not watch the Secrets sources read: a rotated key or static credential is then used at the next scheduled refresh, rotation (regcred.dev/rotate) or spec change, not within seconds",
  },
  "disable-pull-failure-watch": {
    env: "DISABLE_PULL_FAILURE_WATCH",
    help: "do not watch pods for image-pull failures (no re-mint on a refused pull, no eviction, no status.pullFailures)",
  },
  "pull-failure-remint-interval": {
    env: "PULL_FAILURE_REMINT_INTERVAL",
    value: "DURATION",
    help: "the least time between two mints of one identity asked for by pods failing to pull with a refused credential; default 5m",
  },
  "leader-elect": {
    env: "LEADER_ELECT",
    help: "only the replica holding a Lease reconciles; default off (one replica reconciles unconditionally)",
  },
  "leader-election-namespace": {
    env: "LEADER_ELECTION_NAMESPACE",
    value: "NS",
    help: "namespace of the Lease; default the operator namespace",
  },
  "leader-election-id": {
    env: "LEADER_ELECTION_ID",
    value: "NAME",
    help: "name of the Lease; default registry-credential-operator",
  },
  "lease-duration": {
    env: "LEASE_DURATION",
    value: "DURATION",
    help: "how long followers wait before taking over an unrenewed Lease; default 15s",
  },
  "renew-deadline": {
    env: "RENEW_DEADLINE",
    value: "DURATION",
    help: "how long the leader retries renewing before it gives up leading; default 10s",
  },
  "retry-period": {
    env: "RETRY_PERIOD",
    value: "DURATION",
    help: "wait between acquire/renew attempts; default 2s",
  },
} satisfies Record<string, FlagSpec>;

type FlagName = keyof typeof flags;
type SwitchName = { [N in FlagName]: (typeof flags)[N] extends { value: string } ? never : N }[FlagName];
type ValueName = Exclude<FlagName, SwitchName>;

const entries = Object.entries(flags) as [FlagName, FlagSpec][];

/** Words of `text` in lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}

const column = 41;

export const usage = [
  "usage: registry-credential-operator [flags]",
  "",
  "Flags (each also read from the environment variable in brackets):",
  ...entries.flatMap(([name, spec]) => {
    const head = `  --${name}${spec.value ? ` ${spec.value}` : ""}`.padEnd(column - 2);
    const env = spec.value ? `[${spec.env}]` : `[${spec.env}=true]`;
    const [first = "", ...rest] = wrap(`${spec.help} ${env}`, 100 - column);
    return [`${head}  ${first}`, ...rest.map((line) => `${" ".repeat(column)}${line}`)];
  }),
  `${"  -h, --help".padEnd(column)}show this help`,
].join("\n");

function booleanValue(name: string, text: string): boolean {
  const normalized = text.trim().toLowerCase();
  if (["true", "1", "yes"].includes(normalized)) return true;
  if (["false", "0", "no", ""].includes(normalized)) return false;
  throw new ConfigError(`${name} must be true or false, got "${text}"`);
}

/** The flags as given: a value flag's value (else its variable's), a switch's state (else its variable's). */
export interface Flags {
  help: boolean;
  value(name: ValueName): string | undefined;
  enabled(name: SwitchName): boolean;
}

/** Parses argv against the flag table, with the environment as fallback. Throws ConfigError. */
export function readFlags(argv: string[], env: NodeJS.ProcessEnv): Flags {
  const options: ParseArgsOptionsConfig = { help: { type: "boolean", short: "h" } };
  for (const [name, spec] of entries) options[name] = { type: spec.value ? "string" : "boolean" };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  return {
    help: values.help === true,
    value: (name) => (values[name] as string | undefined) ?? env[flags[name].env],
    enabled(name) {
      if (values[name] === true) return true;
      const variable = flags[name].env;
      return env[variable] !== undefined && booleanValue(variable, env[variable] as string);
    },
  };
}
