// The contract between the controller and a registry provider. One folder per provider implements
// Provider; registry.ts maps every provider block of the API to its implementation.
import type { V1ServiceAccount } from "@kubernetes/client-node";

/** One registry login, as written into a dockerconfigjson `auths` entry. */
export interface RegistryToken {
  /** Registry host without scheme or path, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com. */
  host: string;
  username: string;
  password: string;
  /** When the registry stops accepting the token, as the provider reported it; undefined when unknown. */
  expiresAt?: Date;
}

/** The content of a Secret referenced by a source, with its content version. */
export interface ReferencedSecret {
  data: Record<string, Buffer>;
  uid: string;
  resourceVersion: string;
  /** The Secret's type, labels and annotations, where known (who wrote it, for sources that must not read their own output). */
  type?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/**
 * What a provider may read while resolving a source: only objects in `namespace`, through the
 * operator's Kubernetes client. Every method throws CredentialError: AuthSecretMissing when the
 * object does not exist, Forbidden when the operator may not read it.
 */
export interface SourceAccess {
  /** Namespace in which references resolve. */
  readonly namespace: string;
  /** Whether this source may fall back on the operator's own (ambient) cloud identity. */
  readonly ambientIdentityAllowed: boolean;
  /**
   * Whether a token of the operator's own identity that works beyond registries (a Google OAuth
   * access token) may be written as it is. When false, a source on ambient identity must
   * impersonate a dedicated reader account, whose token is what the Secret holds.
   */
  readonly ambientAccessTokenAllowed: boolean;
  readSecret(name: string): Promise<ReferencedSecret>;
  readServiceAccount(name: string): Promise<V1ServiceAccount>;
  /** A TokenRequest token for the ServiceAccount with the given audience. */
  requestServiceAccountToken(name: string, audience: string, expirationSeconds: number): Promise<string>;
}

/** A source whose references have been read, ready to mint. */
export interface ResolvedSource {
  /**
   * Equal for two sources that would mint with the same identity and produce the same logins:
   * same provider, region or hosts, role, and credential source including the content version
   * (uid and resourceVersion) of any referenced Secret. Holds no key material; safe to log.
   */
  readonly identity: string;
  /**
   * True when the logins never expire (static credentials): they are renewed, that is the
   * referenced Secret read again, after the resource's refresh.maxInterval. Otherwise a login
   * without a reported expiry is renewed after refresh.minInterval.
   */
  readonly nonExpiring?: boolean;
  /**
   * Calls the cloud and resolves with one or more tokens, each with a non-empty host, username
   * and password. Throws CredentialError (reason ProviderError, InvalidSpec or Forbidden) on
   * failure, and also when the cloud answers with nothing usable. Never includes token or key
   * values in error messages.
   */
  mint(signal?: AbortSignal): Promise<RegistryToken[]>;
  /**
   * The cloud's rate limit this source's mints count against (ECR's GetAuthorizationToken quota
   * is per account and region); absent when the provider's cloud has none the operator keeps to.
   */
  readonly quota?: MintQuota;
}

/** Which of a cloud's rate limits a mint counts against. Holds no key material; safe to log. */
export interface MintQuota {
  /**
   * Equal for mints that count against the same limit, e.g. "aws|123456789012|eu-west-1". What is
   * not known before a mint is left out, e.g. "aws|?|eu-west-1" for static keys of an account
   * no spec names: such sources share one limit, which can only make them slower, never throttled.
   */
  readonly key: string;
  /**
   * The key once a mint's logins have shown what was unknown (the caller's account, from a
   * registry host); undefined when they show nothing more.
   */
  learnedKey?(tokens: readonly RegistryToken[]): string | undefined;
}

/** The logins a source would write, as `regcred render` shows them before any mint. */
interface PlannedLogins {
  /** Exact hosts, or a placeholder where only a mint can tell (e.g. the caller's ECR account). */
  hosts: string[];
  username: string;
}

/**
 * What is known about a provider without calling any cloud: everything the controller's messages,
 * the CLI and the audit need. Pure functions of the spec; none reads anything.
 */
export interface ProviderInfo<Spec> {
  /** Semantic checks the CRD schema cannot express; returns one message per problem (empty when valid). */
  validate(spec: Spec): string[];
  /** A short description for messages, e.g. "ecr eu-west-1". Holds no key material. */
  describe(spec: Spec): string;
  /**
   * The namespace the spec's references name (a ClusterRegistryCredential may name one), or
   * undefined when they name none and resolve in the resource's default namespace.
   */
  referenceNamespace(spec: Spec): string | undefined;
  /**
   * The names of every Secret that resolve (or mint) may read through SourceAccess.readSecret for
   * this spec, in the access namespace; empty when it reads none. The operator watches exactly these
   * and re-runs the resource when one is created, changed or deleted, so a name missing here is a
   * rotated key nobody notices (the conformance suite checks that resolve reads no other).
   */
  referencedSecrets(spec: Spec): string[];
  plannedLogins(spec: Spec): PlannedLogins;
  /**
   * Registry hosts this provider mints logins for, for `regcred audit`; empty for providers whose
   * hosts are whatever the spec or its Secret names (static credentials), which plan them exactly.
   */
  readonly hostPatterns: readonly RegExp[];
  /**
   * How to fix a pod's failure to pull from one of hostPatterns' hosts, per cause, for `regcred
   * audit`; absent for providers whose hosts are any registry (static credentials), which get the
   * audit's generic advice.
   */
  readonly pullFailureAdvice?: PullFailureAdvice;
  /**
   * The cloud's documented rate limit on mints per quota (ResolvedSource.quota), the operator's
   * default for --provider-rate-limits; absent for providers that set no quota.
   */
  readonly mintRate?: { readonly perSecond: number; readonly burst: number };
}

/** What to do about a pod failing to pull from a provider's host; plain text that may name the host. */
export interface PullFailureAdvice {
  /** The registry refused the login (401, 403, denied): the permissions and bindings the identity needs. */
  credentialsRefused(host: string): string;
  /** The repository, tag or digest is not there: how to check, and what else the registry answers so. */
  notFound(host: string): string;
  /** No answer from the registry (TLS, DNS, network): the paths nodes need. */
  unreachable(host: string): string;
}

export interface Provider<Spec> extends ProviderInfo<Spec> {
  /**
   * Reads the Secrets and ServiceAccounts the spec references and returns the source ready to mint.
   * Throws CredentialError: AuthSecretMissing for a missing Secret or ServiceAccount, InvalidSpec
   * for a Secret that lacks a key or holds garbage, Forbidden when ambient identity is not allowed.
   */
  resolve(spec: Spec, access: SourceAccess): Promise<ResolvedSource>;
}
