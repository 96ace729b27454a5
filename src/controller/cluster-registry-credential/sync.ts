import type {
  CoreV1Api,
  CustomObjectsApi,
  V1Namespace,
  V1Secret,
  V1ServiceAccount,
} from "@kubernetes/client-node";
import type { Logger } from "pino";
import { selectorsForSelection } from "../../admission/admission-policy.js";
import type { PodAdmissionSync } from "../../admission/pod-admission.js";
import {
  apiVersion,
  type ClusterRegistryCredential,
  type ClusterRegistryCredentialStatus,
  type CredentialSource,
  clusterRegistryCredentialNames,
  type NamespaceFailure,
  type ReadyReason,
  readyReasons,
} from "../../api/v1alpha1.js";
import type { Informer } from "../../kube/informer.js";
import type { OperatorMetrics } from "../../metrics/metrics.js";
import type { Providers } from "../../providers/registry.js";
import { desiredSecret } from "../../secrets/desired-secret.js";
import { buildDockerConfig } from "../../secrets/dockerconfig.js";
import { annotations, ownerKey as keyOfOwner, type SecretOwner } from "../../secrets/ownership.js";
import { secretSignature } from "../../secrets/signature.js";
import type { OperatorKey } from "../../security/operator-key.js";
import { pullSecretAnnotation } from "../../serviceaccounts/pull-secret-patch.js";
import { stableJitter } from "../../tokens/refresh-schedule.js";
import type { TokenCache } from "../../tokens/token-cache.js";
import {
  collectLogins,
  maxRecoveryCandidates,
  nextRefresh,
  reportFailure,
} from "../credential/credential-logins.js";
import { hasFinalizer, setFinalizer } from "../credential/finalizer.js";
import { podAdmissionCondition, type WebhookCoverage } from "../credential/pod-admission-condition.js";
import { type NotReadyTarget, reportNotReady, reportReady } from "../credential/readiness.js";
import { KubeSourceAccess } from "../credential/source-access.js";
import { checkSpec } from "../credential/spec-checks.js";
import {
  cleanupNamespace,
  ensureNamespace,
  type FanOutClients,
  type FanOutPlan,
  type NamespaceResult,
  runPool,
} from "../credential/targets.js";
import type { EventRecorder } from "../runtime/events.js";
import { isTargeted } from "./namespace-selection.js";

export interface ClusterSyncDependencies {
  core: CoreV1Api;
  objects: CustomObjectsApi;
  clusterCredentials: Informer<ClusterRegistryCredential>;
  namespaces: Informer<V1Namespace>;
  secrets: Informer<V1Secret>;
  serviceAccounts: Informer<V1ServiceAccount>;
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
  /** --allow-ambient-google-access-tokens: whether gar sources may fan out the operator's own token. */
  ambientAccessTokensAllowed?: boolean;
  /** Aborted when the controller stops, so no mint holds a worker or the shutdown. */
  stopping?: AbortSignal;
  /** The deadline of each resolve and mint (mintSources' default when undefined). */
  deadlineMs?: number;
  /** Where auth references without a namespace resolve. */
  operatorNamespace: string;
  /** Namespaces written in parallel. */
  concurrency: number;
  /** Plans of the last successful full sync, by resource name; shared with namespace-level syncs. */
  plans: Map<string, FanOutPlan>;
  /** Last result per namespace, by resource name. */
  results: Map<string, Map<string, NamespaceResult>>;
  now: () => Date;
  random: () => number;
}

export interface ClusterSyncOutcome {
  requeueAfterMs?: number;
  failed?: boolean;
}

const kind = clusterRegistryCredentialNames.kind;
const maxFailuresListed = 20;
const conflictRecheckMs = 5 * 60_000;

function ownerOf(crc: ClusterRegistryCredential): SecretOwner {
  const { name, uid } = crc.metadata as { name: string; uid: string };
  return { apiVersion, kind, name, uid };
}

/** The namespace a source's auth reference names, or the operator's namespace. */
function referenceNamespace(source: CredentialSource, fallback: string): string {
  const auth = source.ecr?.auth ?? source.gar?.auth;
  return auth?.secretRef?.namespace ?? auth?.serviceAccountRef?.namespace ?? fallback;
}

function fanOutClients(deps: ClusterSyncDependencies): FanOutClients {
  return {
    core: deps.core,
    secrets: deps.secrets,
    serviceAccounts: deps.serviceAccounts,
    metrics: deps.metrics,
    key: deps.key,
  };
}

/** Namespaces where a Secret owned by this resource exists (from the managed-Secret cache). */
function ownedNamespaces(secrets: Informer<V1Secret>, owner: SecretOwner): Set<string> {
  return new Set(
    secrets
      .list()
      .filter((s) => s.metadata?.annotations?.[annotations.ownerUid] === owner.uid)
      .map((s) => s.metadata?.namespace as string),
  );
}

/**
 * Reconciles one ClusterRegistryCredential across the cluster: guard clauses → provider (mint once
 * per identity) → the same Secret into every targeted namespace, with ServiceAccount patching →
 * cleanup of namespaces that left the selection → status with counts. A failing namespace is
 * recorded, never fatal to the others. Throws only for unexpected apiserver errors on the resource.
 */
export async function syncClusterRegistryCredential(
  deps: ClusterSyncDependencies,
  name: string,
  failures: number,
): Promise<ClusterSyncOutcome> {
  const crc = deps.clusterCredentials.get(name);
  if (!crc) {
    // Gone without our finalizer having run (it was removed by hand): its policy must go too.
    await deps.podAdmission.remove(`${kind}/${name}`);
    deps.plans.delete(name);
    deps.results.delete(name);
    deps.metrics.forgetCredential(kind, "", name);
    return {};
  }
  const owner = ownerOf(crc);
  const ref = { plural: clusterRegistryCredentialNames.plural, name };
  const secretName = crc.spec.secret?.name ?? name;
  const deletionPolicy = crc.spec.deletionPolicy ?? "Delete";
  const clients = fanOutClients(deps);

  if (crc.metadata.deletionTimestamp) {
    if (!hasFinalizer(crc.metadata)) return {};
    await deps.podAdmission.remove(keyOfOwner(owner));
    deps.plans.delete(name);
    // Only namespaces holding this owner's Secret or a ServiceAccount it patched need cleaning.
    const patchedBy = keyOfOwner(owner);
    const touched = new Set([
      ...ownedNamespaces(deps.secrets, owner),
      ...deps.serviceAccounts
        .list()
        .filter((sa) => sa.metadata?.annotations?.[pullSecretAnnotation(secretName)] === patchedBy)
        .map((sa) => sa.metadata?.namespace as string),
    ]);
    await runPool([...touched], deps.concurrency, (ns) =>
      cleanupNamespace(clients, owner, secretName, deletionPolicy, ns),
    );
    await setFinalizer(deps.objects, ref, crc.metadata, false);
    deps.results.delete(name);
    deps.metrics.forgetCredential(kind, "", name);
    return {};
  }
  if (!hasFinalizer(crc.metadata)) {
    await setFinalizer(deps.objects, ref, crc.metadata, true);
    return {};
  }

  const now = deps.now();
  const generation = crc.metadata.generation;
  const previous = crc.status;
  const labels = { kind, namespace: "", name };
  const target: NotReadyTarget<ClusterRegistryCredentialStatus> = { object: crc, ref, secretName, labels };
  const report = (
    reason: ReadyReason,
    message: string,
    extra: Partial<ClusterRegistryCredentialStatus> = {},
  ) => reportNotReady(deps, target, now, reason, message, extra);

  const checked = checkSpec(crc.spec, deps.providers);
  if ("problem" in checked) {
    await report(readyReasons.invalidSpec, checked.problem);
    return {};
  }
  const { policy } = checked;

  const owned = ownedNamespaces(deps.secrets, owner);
  const targets = deps.namespaces
    .list()
    .filter((ns) => isTargeted(crc.spec.namespaces, ns))
    .map((ns) => ns.metadata?.name as string)
    .sort();
  // Only copies in namespaces this resource selects may supply logins, the operator's own first.
  const selected = new Set(targets);
  const order = selected.has(deps.operatorNamespace)
    ? [deps.operatorNamespace, ...targets.filter((ns) => ns !== deps.operatorNamespace)]
    : targets;
  const references = order
    .filter((ns) => owned.has(ns))
    .slice(0, maxRecoveryCandidates)
    .flatMap((ns) => deps.secrets.get(secretName, ns) ?? []);
  const jitter = stableJitter(owner.uid);
  const logins = await collectLogins(
    crc.spec.sources,
    {
      providers: deps.providers,
      cache: deps.cache,
      // Cluster resources are written by cluster administrators: they may use the operator's identity.
      accessFor: (source) =>
        new KubeSourceAccess(deps.core, referenceNamespace(source, deps.operatorNamespace), {
          ambientIdentityAllowed: true,
          // Its Secrets go to many namespaces: the operator's own Google token only on explicit opt-in.
          ambientAccessTokenAllowed: deps.ambientAccessTokensAllowed ?? false,
        }),
      policy,
      jitter,
      metrics: deps.metrics,
      now: deps.now,
      key: deps.key,
      ownerUid: owner.uid,
      ...(deps.stopping ? { stopping: deps.stopping } : {}),
      ...(deps.deadlineMs ? { deadlineMs: deps.deadlineMs } : {}),
    },
    previous?.sources,
    references,
  );
  for (const r of logins.results) {
    if (r.minted && !r.minted.cached) deps.metrics.refreshes.inc({ provider: r.provider, result: "success" });
    if (r.error) deps.metrics.refreshes.inc({ provider: r.provider, result: r.error.reason });
  }

  let results = deps.results.get(name) ?? new Map<string, NamespaceResult>();

  if (logins.complete) {
    const dockerConfigJson = buildDockerConfig(logins.logins);
    const plan: FanOutPlan = {
      uid: owner.uid,
      generation: generation ?? 0,
      owner,
      secretName,
      accounts: crc.spec.serviceAccounts,
      deletionPolicy,
      secretFor: (namespace) =>
        desiredSecret({
          owner,
          namespace,
          name: secretName,
          dockerConfigJson,
          ...(logins.expiresAt ? { expiresAt: logins.expiresAt } : {}),
          refreshedAt: logins.refreshedAt,
          signature: secretSignature(deps.key, owner, namespace, secretName),
          extraLabels: crc.spec.secret?.labels ?? {},
          extraAnnotations: crc.spec.secret?.annotations ?? {},
          ownerReference: deletionPolicy === "Delete",
        }),
    };
    deps.plans.set(name, plan);
    const problem = await deps.podAdmission.apply(
      owner,
      crc.spec.podAdmission,
      secretName,
      selectorsForSelection(crc.spec.namespaces),
    );
    target.podAdmission = podAdmissionCondition(
      crc.spec.podAdmission,
      secretName,
      targets,
      problem,
      deps.webhook,
    );
    if (target.podAdmission?.status === "False")
      await deps.events.record(crc, "Warning", target.podAdmission.reason, target.podAdmission.message);
    const outcomes = await runPool(targets, deps.concurrency, (ns) => ensureNamespace(clients, plan, ns));
    results = new Map(targets.map((ns, i) => [ns, outcomes[i] as NamespaceResult]));
    deps.results.set(name, results);
    const leaving = [...owned].filter((ns) => !results.has(ns));
    await runPool(leaving, deps.concurrency, (ns) =>
      cleanupNamespace(clients, owner, secretName, deletionPolicy, ns),
    );
  }

  const failedNamespaces: NamespaceFailure[] = [...results]
    .filter(([, r]) => !r.ok)
    .map(([namespace, r]) => ({
      namespace,
      reason: (r as { reason: string }).reason,
      message: (r as { message: string }).message,
    }));
  const counts = {
    targeted: targets.length,
    inSync: [...results.values()].filter((r) => r.ok).length,
    failed: failedNamespaces.length,
  };
  const fanOutStatus = { namespaces: counts, failures: failedNamespaces.slice(0, maxFailuresListed) };
  const writtenExpiry = logins.expiresAt ?? (previous?.expiresAt ? new Date(previous.expiresAt) : undefined);
  if (writtenExpiry) deps.metrics.credentialExpiry.set(labels, writtenExpiry.getTime() / 1000);

  // The apiserver refusing the Secret as invalid is the spec's fault in every namespace alike.
  const rejected = failedNamespaces.filter((f) => f.reason === readyReasons.invalidSpec);
  if (rejected.length > 0) {
    await report(
      readyReasons.invalidSpec,
      `${(rejected[0] as NamespaceFailure).message} (in ${rejected.length} of ${counts.targeted} namespaces); check spec.secret`,
      { ...fanOutStatus, sources: logins.sources },
    );
    return { requeueAfterMs: conflictRecheckMs };
  }

  if (logins.failed.length > 0) {
    const failure = reportFailure(logins, {
      target: `the Secrets ${secretName}`,
      exists: owned.size > 0,
      ...(writtenExpiry ? { writtenExpiry } : {}),
      now,
      failures,
      random: deps.random(),
    });
    deps.metrics.credentialExpired.set(labels, failure.expired ? 1 : 0);
    await report(failure.reason, failure.message, {
      ...fanOutStatus,
      sources: logins.sources,
      ...(writtenExpiry ? { expiresAt: writtenExpiry.toISOString() } : {}),
      nextRefreshTime: new Date(now.getTime() + failure.retryAfterMs).toISOString(),
    });
    return { requeueAfterMs: failure.retryAfterMs, failed: true };
  }

  const next = nextRefresh(logins, policy, jitter, now);
  const hosts = logins.sources.flatMap((s) => s.hosts);
  const failedNote = counts.failed > 0 ? `; ${counts.failed} failed (see status.failures)` : "";
  const message = `Secret ${secretName} (${hosts.join(", ")}) is current in ${counts.inSync} of ${counts.targeted} namespaces${failedNote}${
    logins.expiresAt ? `; logins valid until ${logins.expiresAt.toISOString()}` : ""
  }; next refresh at ${next.toISOString()}`;
  await reportReady(
    deps,
    target,
    now,
    {
      sources: logins.sources,
      ...fanOutStatus,
      ...(logins.expiresAt ? { expiresAt: logins.expiresAt.toISOString() } : {}),
      lastRefreshTime: logins.refreshedAt.toISOString(),
      nextRefreshTime: next.toISOString(),
    },
    message,
    logins.minted,
  );
  if (counts.failed > 0) {
    const first = failedNamespaces[0] as NamespaceFailure;
    await deps.events.record(
      crc,
      "Warning",
      first.reason,
      `${counts.failed} namespace(s) failed; first: ${first.namespace}: ${first.message}`,
    );
  }
  const untilRefresh = Math.max(1000, next.getTime() - now.getTime());
  return { requeueAfterMs: counts.failed > 0 ? Math.min(untilRefresh, conflictRecheckMs) : untilRefresh };
}

/**
 * Brings one namespace in line with the resource's last plan: writes and patches when it is
 * targeted, cleans up when it is not. Returns false when there is no current plan (the caller
 * then runs a full sync).
 */
export async function syncClusterNamespace(
  deps: ClusterSyncDependencies,
  name: string,
  namespace: string,
): Promise<boolean> {
  const crc = deps.clusterCredentials.get(name);
  const plan = deps.plans.get(name);
  if (!crc || !plan || plan.uid !== crc.metadata.uid || plan.generation !== (crc.metadata.generation ?? 0))
    return false;
  if (crc.metadata.deletionTimestamp) return false;
  const clients = fanOutClients(deps);
  const ns = deps.namespaces.get(namespace);
  const results = deps.results.get(name) ?? new Map<string, NamespaceResult>();
  deps.results.set(name, results);
  if (ns && isTargeted(crc.spec.namespaces, ns)) {
    results.set(namespace, await ensureNamespace(clients, plan, namespace));
  } else {
    results.delete(namespace);
    if (ns) await cleanupNamespace(clients, plan.owner, plan.secretName, plan.deletionPolicy, namespace);
  }
  return true;
}
