import type { CoreV1Api, CustomObjectsApi, V1Secret, V1ServiceAccount } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { selectorForNamespace } from "../../admission/admission-policy.js";
import type { PodAdmissionSync } from "../../admission/pod-admission.js";
import {
  apiVersion,
  type ReadyReason,
  type RegistryCredential,
  type RegistryCredentialStatus,
  readyReasons,
  registryCredentialNames,
} from "../../api/v1alpha1.js";
import type { Informer } from "../../kube/informer.js";
import type { OperatorMetrics } from "../../metrics/metrics.js";
import type { Providers } from "../../providers/registry.js";
import { desiredSecret } from "../../secrets/desired-secret.js";
import { buildDockerConfig } from "../../secrets/dockerconfig.js";
import { isOwnedBy, ownerKey, type SecretOwner } from "../../secrets/ownership.js";
import {
  deleteManagedSecret,
  readSecretIfExists,
  releaseManagedSecret,
  writeManagedSecret,
} from "../../secrets/secret-writer.js";
import { secretSignature } from "../../secrets/signature.js";
import type { OperatorKey } from "../../security/operator-key.js";
import { reconcileServiceAccounts } from "../../serviceaccounts/reconcile-accounts.js";
import { stableJitter } from "../../tokens/refresh-schedule.js";
import type { TokenCache } from "../../tokens/token-cache.js";
import { collectLogins, nextRefresh, reportFailure } from "../credential/credential-logins.js";
import { hasFinalizer, setFinalizer } from "../credential/finalizer.js";
import { podAdmissionCondition, type WebhookCoverage } from "../credential/pod-admission-condition.js";
import { type NotReadyTarget, reportNotReady, reportReady } from "../credential/readiness.js";
import { KubeSourceAccess } from "../credential/source-access.js";
import { checkSpec } from "../credential/spec-checks.js";
import type { EventRecorder } from "../runtime/events.js";

export interface SyncDependencies {
  core: CoreV1Api;
  objects: CustomObjectsApi;
  credentials: Informer<RegistryCredential>;
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
  /** Aborted when the controller stops, so no mint holds a worker or the shutdown. */
  stopping?: AbortSignal;
  /** The deadline of each resolve and mint (mintSources' default when undefined). */
  deadlineMs?: number;
  /** Whether RegistryCredentials in this namespace may use the operator's ambient cloud identity. */
  ambientIdentityAllowed: (namespace: string) => boolean;
  now: () => Date;
  random: () => number;
}

export interface SyncOutcome {
  /** Reconcile again after this many milliseconds (renewal time or retry backoff). */
  requeueAfterMs?: number;
  /** The reconcile failed and should count towards backoff. */
  failed?: boolean;
}

const conflictRecheckMs = 5 * 60_000;
const kind = registryCredentialNames.kind;

function ownerOf(rc: RegistryCredential): SecretOwner {
  const { name, namespace, uid } = rc.metadata as { name: string; namespace: string; uid: string };
  return { apiVersion, kind, name, namespace, uid };
}

/**
 * Reconciles one RegistryCredential: guard clauses (gone, deleting, finalizer, invalid spec,
 * foreign Secret) → provider (mint or reuse cached tokens) → Secret (written only on change) →
 * ServiceAccounts → status. Reads and writes only in the resource's own namespace. Returns when to
 * run again. Throws only for unexpected apiserver errors, which the caller retries with backoff;
 * provider failures are reported in status and events instead.
 */
export async function syncRegistryCredential(
  deps: SyncDependencies,
  namespace: string,
  name: string,
  failures: number,
): Promise<SyncOutcome> {
  const rc = deps.credentials.get(name, namespace);
  if (!rc) {
    // Gone without our finalizer having run (it was removed by hand): its policy must go too.
    await deps.podAdmission.remove(`${kind}/${namespace}/${name}`);
    deps.metrics.forgetCredential(kind, namespace, name);
    return {};
  }
  const owner = ownerOf(rc);
  const ref = { plural: registryCredentialNames.plural, name, namespace };
  const secretName = rc.spec.secret?.name ?? name;
  const accounts = () => deps.serviceAccounts.list(namespace);

  if (rc.metadata.deletionTimestamp) {
    if (!hasFinalizer(rc.metadata)) return {};
    await deps.podAdmission.remove(ownerKey(owner));
    await reconcileServiceAccounts(deps.core, accounts(), undefined, secretName, ownerKey(owner), false);
    if ((rc.spec.deletionPolicy ?? "Delete") === "Delete") {
      if (await deleteManagedSecret(deps.core, namespace, secretName, owner, deps.key))
        deps.metrics.secretWrites.inc({ operation: "delete" });
    } else if (await releaseManagedSecret(deps.core, namespace, secretName, owner, deps.key)) {
      deps.metrics.secretWrites.inc({ operation: "release" });
    }
    await setFinalizer(deps.objects, ref, rc.metadata, false);
    deps.metrics.forgetCredential(kind, namespace, name);
    return {};
  }

  if (!hasFinalizer(rc.metadata)) {
    // The update event of this patch triggers the next reconcile.
    await setFinalizer(deps.objects, ref, rc.metadata, true);
    return {};
  }

  const now = deps.now();
  const _generation = rc.metadata.generation;
  const previous = rc.status;
  const labels = { kind, namespace, name };
  const target: NotReadyTarget<RegistryCredentialStatus> = { object: rc, ref, secretName, labels };
  const report = (reason: ReadyReason, message: string, extra: Partial<RegistryCredentialStatus> = {}) =>
    reportNotReady(deps, target, now, reason, message, extra);

  const checked = checkSpec(rc.spec, deps.providers);
  if ("problem" in checked) {
    await report(readyReasons.invalidSpec, checked.problem);
    return {};
  }
  const { policy } = checked;

  // The informer holds only labelled Secrets; an unlabelled one of that name would be foreign.
  const cached =
    deps.secrets.get(secretName, namespace) ?? (await readSecretIfExists(deps.core, namespace, secretName));
  if (cached && !isOwnedBy(cached, owner)) {
    await report(
      readyReasons.secretConflict,
      `Secret ${namespace}/${secretName} is managed by another owner; it was left untouched`,
    );
    return { requeueAfterMs: conflictRecheckMs };
  }

  const jitter = stableJitter(owner.uid);
  // A namespace the policy lets use the operator's identity may also hold its Google token as is.
  const ambient = deps.ambientIdentityAllowed(namespace);
  const access = new KubeSourceAccess(deps.core, namespace, {
    ambientIdentityAllowed: ambient,
    ambientAccessTokenAllowed: ambient,
  });
  const logins = await collectLogins(
    rc.spec.sources,
    {
      providers: deps.providers,
      cache: deps.cache,
      accessFor: () => access,
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
    cached ? [cached] : [],
  );
  for (const r of logins.results) {
    if (r.minted && !r.minted.cached) deps.metrics.refreshes.inc({ provider: r.provider, result: "success" });
    if (r.error) deps.metrics.refreshes.inc({ provider: r.provider, result: r.error.reason });
  }

  let written = cached;
  if (logins.complete) {
    const outcome = await writeManagedSecret(
      deps.core,
      cached,
      desiredSecret({
        owner,
        namespace,
        name: secretName,
        dockerConfigJson: buildDockerConfig(logins.logins),
        ...(logins.expiresAt ? { expiresAt: logins.expiresAt } : {}),
        refreshedAt: logins.refreshedAt,
        signature: secretSignature(deps.key, owner, namespace, secretName),
        extraLabels: rc.spec.secret?.labels ?? {},
        extraAnnotations: rc.spec.secret?.annotations ?? {},
        ownerReference: (rc.spec.deletionPolicy ?? "Delete") === "Delete",
      }),
      owner,
    );
    if (outcome.kind === "conflict") {
      await report(readyReasons.secretConflict, outcome.message);
      return { requeueAfterMs: conflictRecheckMs };
    }
    if (outcome.kind === "rejected") {
      await report(readyReasons.invalidSpec, `${outcome.message}; check spec.secret`);
      return { requeueAfterMs: conflictRecheckMs };
    }
    if (outcome.kind !== "unchanged") {
      deps.metrics.secretWrites.inc({ operation: outcome.kind === "created" ? "create" : "update" });
      deps.logger.info(
        { namespace, name, secret: secretName, expiresAt: logins.expiresAt },
        `secret ${outcome.kind}`,
      );
    }
    written = outcome.secret;
  }
  if (written) {
    await reconcileServiceAccounts(
      deps.core,
      accounts(),
      rc.spec.serviceAccounts,
      secretName,
      ownerKey(owner),
      true,
    );
    const problem = await deps.podAdmission.apply(owner, rc.spec.podAdmission, secretName, [
      selectorForNamespace(namespace),
    ]);
    target.podAdmission = podAdmissionCondition(
      rc.spec.podAdmission,
      secretName,
      [namespace],
      problem,
      deps.webhook,
    );
    if (target.podAdmission?.status === "False")
      await deps.events.record(rc, "Warning", target.podAdmission.reason, target.podAdmission.message);
  }

  const writtenExpiry = logins.expiresAt ?? (previous?.expiresAt ? new Date(previous.expiresAt) : undefined);
  if (writtenExpiry) deps.metrics.credentialExpiry.set(labels, writtenExpiry.getTime() / 1000);

  if (logins.failed.length > 0) {
    const failure = reportFailure(logins, {
      target: `Secret ${namespace}/${secretName}`,
      exists: !!written,
      ...(writtenExpiry ? { writtenExpiry } : {}),
      now,
      failures,
      random: deps.random(),
    });
    deps.metrics.credentialExpired.set(labels, failure.expired ? 1 : 0);
    await report(failure.reason, failure.message, {
      sources: logins.sources,
      ...(writtenExpiry ? { expiresAt: writtenExpiry.toISOString() } : {}),
      nextRefreshTime: new Date(now.getTime() + failure.retryAfterMs).toISOString(),
    });
    return { requeueAfterMs: failure.retryAfterMs, failed: true };
  }

  const next = nextRefresh(logins, policy, jitter, now);
  const hosts = logins.sources.flatMap((s) => s.hosts);
  const message = `Secret ${namespace}/${secretName} holds ${hosts.length} registry login(s) (${hosts.join(", ")})${
    logins.expiresAt ? `, valid until ${logins.expiresAt.toISOString()}` : ""
  }; next refresh at ${next.toISOString()}`;
  await reportReady(
    deps,
    target,
    now,
    {
      sources: logins.sources,
      ...(logins.expiresAt ? { expiresAt: logins.expiresAt.toISOString() } : {}),
      lastRefreshTime: logins.refreshedAt.toISOString(),
      nextRefreshTime: next.toISOString(),
    },
    message,
    logins.minted,
  );
  return { requeueAfterMs: Math.max(1000, next.getTime() - now.getTime()) };
}
