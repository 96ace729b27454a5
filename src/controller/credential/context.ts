import type { Logger } from "pino";
import type { PodAdmissionSync } from "../../admission/pod-admission.js";
import type { KubePort } from "../../kube/ports.js";
import type { OperatorMetrics } from "../../metrics/metrics.js";
import type { Providers } from "../../providers/registry.js";
import type { OperatorKey } from "../../security/operator-key.js";
import type { MintRateLimiter } from "../../tokens/mint-rate-limiter.js";
import type { PendingRemints } from "../../tokens/pending-remints.js";
import type { TokenCache } from "../../tokens/token-cache.js";
import type { Clock } from "../../util/clock.js";
import type { LoginVerifier } from "../../verify/login-verifier.js";
import type { PullFailureLists } from "../pull-failures/pull-failure-lists.js";
import type { EventRecorder } from "../runtime/events.js";
import type { Informers } from "../runtime/informers.js";
import type { SecretReferences } from "../runtime/secret-references.js";
import type { WebhookCoverage } from "./pod-admission-condition.js";
import type { RotationRequests } from "./rotation.js";

/**
 * Everything the controllers and the credential pipeline share, built once by the operator's
 * composition root and passed by reference. Adding a dependency is one field here.
 */
export interface ControllerContext {
  /** The apiserver calls a sync makes (leader-guarded under leader election). */
  kube: KubePort;
  informers: Informers;
  /** Which Secrets each resource's sources read; the controllers keep it current (informers.referencedSecrets follows it). */
  references: SecretReferences;
  providers: Providers;
  cache: TokenCache;
  events: EventRecorder;
  metrics: OperatorMetrics;
  logger: Logger;
  podAdmission: PodAdmissionSync;
  /** Keys login digests and Secret signatures. */
  key: OperatorKey;
  /** What the operator's webhook covers (for the PodAdmission condition). */
  webhook: WebhookCoverage;
  clock: Clock;
  /** In [0, 1); the one source of randomness (retry jitter). */
  random: () => number;
  /** Keys synced at a time per controller, and namespaces written at a time per resource. */
  concurrency: number;
  /** Where the operator runs; where a ClusterRegistryCredential's references resolve by default. */
  operatorNamespace: string;
  /** Whether RegistryCredentials in a namespace may use the operator's ambient cloud identity. */
  ambientIdentityAllowed(namespace: string): boolean;
  /** --credential-secret-namespaces: whether ClusterRegistryCredentials may read their sources' Secrets in a namespace. */
  credentialSecretsAllowed(namespace: string): boolean;
  /** --allow-ambient-google-access-tokens: whether cluster resources may fan out the operator's own Google token. */
  ambientAccessTokensAllowed: boolean;
  /**
   * Whether the operator may create a namespace's missing `default` ServiceAccount (already
   * patched) before the controller manager does: granted in cluster mode, not in a
   * single-namespace install, where the account is patched once it appears.
   */
  createsDefaultServiceAccounts: boolean;
  /** Aborted when the controllers stop, so no resolve or mint holds a worker or the shutdown. */
  stopping: AbortSignal;
  /** The deadline of each resolve and mint (mintSources' default when undefined). */
  deadlineMs?: number;
  /** Checks new logins against their registries; undefined when the operator does not verify (--verify-registries=false). */
  verifier?: LoginVerifier;
  /** A login a registry refused is minted again once it is this old (--verify-refused-remint-interval). */
  refusedRemintMs: number;
  /** Keeps mints under each cloud's rate limit per account and region (--provider-rate-limits). */
  mintLimiter: MintRateLimiter;
  /** When each resource's pending rotation (regcred.dev/rotate) was first seen. */
  rotations: RotationRequests;
  /** Identities pods failing to pull asked to have minted afresh. */
  remints: PendingRemints;
  /** Each resource's status.pullFailures as last decided (both the pod and the credential syncs write it). */
  pullFailureLists: PullFailureLists;
}
