import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The operator's Prometheus metrics, on a registry of their own. Label values never hold secrets. */
export class OperatorMetrics {
  readonly registry = new Registry();

  readonly credentialExpiry = new Gauge({
    name: "regcred_credential_expiry_timestamp_seconds",
    help: "Unix time at which the earliest login in the credential's Secret expires.",
    labelNames: ["kind", "namespace", "name"],
    registers: [this.registry],
  });

  readonly credentialExpired = new Gauge({
    name: "regcred_credential_expired",
    help: "1 when the credential's Secret holds an expired login because refreshing failed, else 0.",
    labelNames: ["kind", "namespace", "name"],
    registers: [this.registry],
  });

  readonly credentialReady = new Gauge({
    name: "regcred_credential_ready",
    help: "1 when the credential's Ready condition is True, else 0.",
    labelNames: ["kind", "namespace", "name"],
    registers: [this.registry],
  });

  readonly refreshes = new Counter({
    name: "regcred_refresh_total",
    help: "Refresh attempts by provider and result (success, or the failure reason).",
    labelNames: ["provider", "result"],
    registers: [this.registry],
  });

  readonly providerCalls = new Counter({
    name: "regcred_provider_calls_total",
    help: "Calls to a provider's cloud API (mints), by provider and outcome.",
    labelNames: ["provider", "outcome"],
    registers: [this.registry],
  });

  readonly providerCallDuration = new Histogram({
    name: "regcred_provider_call_duration_seconds",
    help: "Latency of a provider mint, by provider.",
    labelNames: ["provider"],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly mintRateLimitWait = new Histogram({
    name: "regcred_mint_rate_limit_wait_seconds",
    help: "Time a mint waited for the cloud's rate limit (--provider-rate-limits) before calling it, by provider; 0 when it did not wait.",
    labelNames: ["provider"],
    buckets: [0, 0.05, 0.25, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly reconcileDuration = new Histogram({
    name: "regcred_reconcile_duration_seconds",
    help: "Duration of one reconcile, by kind and result.",
    labelNames: ["kind", "result"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: "regcred_workqueue_depth",
    help: "Keys waiting in the work queue.",
    labelNames: ["queue"],
    registers: [this.registry],
  });

  readonly secretWrites = new Counter({
    name: "regcred_secret_writes_total",
    help: "Writes of managed Secrets, by operation (create, update, delete, release).",
    labelNames: ["operation"],
    registers: [this.registry],
  });

  readonly serviceAccountPatches = new Counter({
    name: "regcred_serviceaccount_patches_total",
    help: "Patches of ServiceAccount imagePullSecrets, by operation (add, remove).",
    labelNames: ["operation"],
    registers: [this.registry],
  });

  readonly webhookAdmissions = new Counter({
    name: "regcred_webhook_admissions_total",
    help: "Pod admissions this replica's webhook answered, by result (patched, unchanged, error).",
    labelNames: ["result"],
    registers: [this.registry],
  });

  readonly cachedObjects = new Gauge({
    name: "regcred_informer_cached_objects",
    help: "Objects each informer cache holds, by resource (what the operator keeps in memory).",
    labelNames: ["resource"],
    registers: [this.registry],
  });

  readonly referencedSecretChanges = new Counter({
    name: "regcred_referenced_secret_changes_total",
    help: "Changes (create, update, delete) of a Secret a source reads that re-ran a credential, by kind.",
    labelNames: ["kind"],
    registers: [this.registry],
  });

  readonly rotations = new Counter({
    name: "regcred_rotations_total",
    help: "Rotations asked for with the regcred.dev/rotate annotation and carried out, by kind.",
    labelNames: ["kind"],
    registers: [this.registry],
  });

  readonly verifications = new Counter({
    name: "regcred_verification_total",
    help: "Checks of a login against its registry (once per new login and host, and per spec.verify.interval), by provider and result (Authenticated, Unauthorized, Forbidden, NotFound, Unreachable, Skipped).",
    labelNames: ["provider", "result"],
    registers: [this.registry],
  });

  readonly credentialVerified = new Gauge({
    name: "regcred_credential_verified",
    help: "1 when the credential's Verified condition is True, 0 when it is False (a registry refused or could not be asked), absent when unknown or disabled.",
    labelNames: ["kind", "namespace", "name"],
    registers: [this.registry],
  });

  readonly pullFailures = new Counter({
    name: "regcred_pull_failures_total",
    help: "Pods seen failing to pull from a host a credential writes, by cause (CredentialsRefused, NotFound, Unreachable, Other) and the action taken.",
    labelNames: ["cause", "action"],
    registers: [this.registry],
  });

  readonly pullFailureRemints = new Counter({
    name: "regcred_pull_failure_remints_total",
    help: "Fresh mints asked for because the kubelet reported the registry refused a credential, by provider.",
    labelNames: ["provider"],
    registers: [this.registry],
  });

  readonly evictions = new Counter({
    name: "regcred_pod_evictions_total",
    help: "Evictions of pods stuck in ImagePullBackOff without the credential's Secret, by result (Evicted, EvictionRefused, NotEvictable).",
    labelNames: ["result"],
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Removes every per-credential series of a credential that no longer exists. */
  forgetCredential(kind: string, namespace: string, name: string): void {
    const labels = { kind, namespace, name };
    this.credentialExpiry.remove(labels);
    this.credentialExpired.remove(labels);
    this.credentialReady.remove(labels);
    this.credentialVerified.remove(labels);
  }
}
