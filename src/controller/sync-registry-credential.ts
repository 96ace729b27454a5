import type { CoreV1Api, CustomObjectsApi, V1Secret } from "@kubernetes/client-node";
import type { Logger } from "pino";
import {
  apiVersion,
  type ReadyReason,
  type RegistryCredential,
  type RegistryCredentialStatus,
  readyReasons,
  registryCredentialNames,
  type SourceStatus,
} from "../api/v1alpha1.js";
import type { Informer } from "../kube/informer.js";
import type { OperatorMetrics } from "../metrics/metrics.js";
import type { RegistryToken } from "../providers/provider.js";
import type { Providers } from "../providers/registry.js";
import { desiredSecret } from "../secrets/desired-secret.js";
import { buildDockerConfig } from "../secrets/dockerconfig.js";
import { isOwnedBy, type SecretOwner } from "../secrets/ownership.js";
import {
  deleteManagedSecret,
  readSecretIfExists,
  releaseManagedSecret,
  writeManagedSecret,
} from "../secrets/secret-writer.js";
import { refreshTime, resolveRefreshPolicy, stableJitter } from "../tokens/refresh-schedule.js";
import type { TokenCache } from "../tokens/token-cache.js";
import { setCondition } from "./conditions.js";
import { writeStatus } from "./credential-status.js";
import type { EventRecorder } from "./events.js";
import { hasFinalizer, setFinalizer } from "./finalizer.js";
import { earliestExpiry, mintSources, type SourceResult, validateSources } from "./mint-sources.js";
import { identityFingerprint, recoverSourceTokens } from "./recover-tokens.js";
import { retryDelayMs } from "./retry-delay.js";
import { KubeSourceAccess } from "./source-access.js";

export interface SyncDependencies {
  core: CoreV1Api;
  objects: CustomObjectsApi;
  credentials: Informer<RegistryCredential>;
  secrets: Informer<V1Secret>;
  providers: Providers;
  cache: TokenCache;
  events: EventRecorder;
  metrics: OperatorMetrics;
  logger: Logger;
  /** Whether RegistryCredentials in this namespace may use the operator's ambient cloud identity. */
  ambientIdentityAllowed: (namespace: string) => boolean;
  now: () => Date;
  random: () => number;
}

export interface SyncOutcome {
  /** Reconcile again after this many milliseconds (renewal time or retry backoff). */
  requeueAfterMs?: number;
  /** The reconcile failed; `failures` counts consecutive failures including this one. */
  failed?: boolean;
}

const conflictRecheckMs = 5 * 60_000;
const kind = registryCredentialNames.kind;

function ownerOf(rc: RegistryCredential): SecretOwner {
  return {
    apiVersion,
    kind,
    name: rc.metadata.name as string,
    namespace: rc.metadata.namespace as string,
    uid: rc.metadata.uid as string,
  };
}

function refOf(rc: RegistryCredential) {
  return {
    plural: registryCredentialNames.plural,
    name: rc.metadata.name as string,
    namespace: rc.metadata.namespace as string,
  };
}

/**
 * Reconciles one RegistryCredential: guard clauses (gone, deleting, finalizer, invalid spec,
 * foreign Secret) → provider (mint or reuse cached tokens) → Secret (write only on change) →
 * status. Returns when to run again. Throws only for unexpected apiserver errors, which the caller
 * retries with backoff; provider failures are reported in status and events instead.
 */
export async function syncRegistryCredential(
  deps: SyncDependencies,
  namespace: string,
  name: string,
  failures: number,
): Promise<SyncOutcome> {
  const rc = deps.credentials.get(name, namespace);
  if (!rc) {
    deps.metrics.forgetCredential(kind, namespace, name);
    return {};
  }
  const owner = ownerOf(rc);
  const ref = refOf(rc);
  const secretName = rc.spec.secret?.name ?? name;

  if (rc.metadata.deletionTimestamp) {
    if (!hasFinalizer(rc.metadata)) return {};
    if ((rc.spec.deletionPolicy ?? "Delete") === "Delete") {
      if (await deleteManagedSecret(deps.core, namespace, secretName, owner))
        deps.metrics.secretWrites.inc({ operation: "delete" });
    } else if (await releaseManagedSecret(deps.core, namespace, secretName, owner)) {
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
  const generation = rc.metadata.generation;
  const previous = rc.status;
  const report = async (
    reason: ReadyReason,
    message: string,
    extra: Partial<RegistryCredentialStatus> = {},
  ) => {
    const status: RegistryCredentialStatus = {
      ...previous,
      ...extra,
      observedGeneration: generation,
      secretName,
      conditions: setCondition(
        previous?.conditions,
        { type: "Ready", status: "False", reason, message },
        generation,
        now,
      ),
    };
    await writeStatus(deps.objects, ref, previous, status);
    await deps.events.record(rc, "Warning", reason, message);
    deps.metrics.credentialReady.set({ kind, namespace, name }, 0);
  };

  let policy: ReturnType<typeof resolveRefreshPolicy>;
  try {
    policy = resolveRefreshPolicy(rc.spec.refresh);
  } catch (error) {
    await report(readyReasons.invalidSpec, `spec.refresh: ${(error as Error).message}`);
    return {};
  }
  const problems = validateSources(rc.spec.sources ?? [], deps.providers);
  if (problems.length > 0) {
    await report(readyReasons.invalidSpec, problems.join("; "));
    return {};
  }

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
  const results = await mintSources(rc.spec.sources, {
    providers: deps.providers,
    cache: deps.cache,
    access: new KubeSourceAccess(deps.core, namespace, deps.ambientIdentityAllowed(namespace)),
    policy,
    jitter,
    metrics: deps.metrics,
    now: deps.now,
    recover: (index, identity) => {
      const entry = previous?.sources?.find((s) => s.index === index);
      return entry?.identity === identityFingerprint(identity)
        ? recoverSourceTokens(cached, entry)
        : undefined;
    },
  });
  for (const result of results) {
    if (result.minted && !result.minted.cached)
      deps.metrics.refreshes.inc({ provider: result.provider, result: "success" });
    if (result.error) deps.metrics.refreshes.inc({ provider: result.provider, result: result.error.reason });
  }

  const failed = results.filter((r) => r.error);
  const carried = failed.map((r) =>
    recoverSourceTokens(
      cached,
      previous?.sources?.find((s) => s.index === r.index),
    ),
  );
  const sourceStatus = (r: SourceResult): SourceStatus | undefined => {
    if (!r.minted) return previous?.sources?.find((s) => s.index === r.index);
    const expiry = earliestExpiry(r.minted.tokens);
    return {
      index: r.index,
      provider: r.provider,
      hosts: [...new Set(r.minted.tokens.map((t) => t.host))].sort(),
      ...(expiry ? { expiresAt: expiry.toISOString() } : {}),
      refreshedAt: r.minted.mintedAt.toISOString(),
      ...(r.identity ? { identity: identityFingerprint(r.identity) } : {}),
    };
  };
  const sources = results.flatMap((r) => sourceStatus(r) ?? []);

  // Write the Secret when every source has logins: fresh ones, or still-valid ones carried over.
  const logins: RegistryToken[] = results.flatMap((r) => r.minted?.tokens ?? []);
  const canWrite = carried.every((c) => c !== undefined);
  for (const c of carried) if (c) logins.push(...c.tokens.filter((t) => !t.expiresAt || t.expiresAt > now));
  const expiresAt = earliestExpiry(logins);
  const refreshedAt = new Date(
    Math.max(
      ...results.map((r) => r.minted?.mintedAt.getTime() ?? 0),
      ...carried.map((c) => c?.mintedAt.getTime() ?? 0),
    ),
  );

  let written: V1Secret | undefined = cached;
  if (canWrite && logins.length > 0) {
    const outcome = await writeManagedSecret(
      deps.core,
      cached,
      desiredSecret({
        owner,
        namespace,
        name: secretName,
        dockerConfigJson: buildDockerConfig(logins),
        ...(expiresAt ? { expiresAt } : {}),
        refreshedAt,
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
    if (outcome.kind !== "unchanged") {
      deps.metrics.secretWrites.inc({ operation: outcome.kind === "created" ? "create" : "update" });
      deps.logger.info(
        { namespace, name, secret: secretName, hosts: sources.flatMap((s) => s.hosts), expiresAt },
        `secret ${outcome.kind}`,
      );
    }
    written = outcome.secret;
  }

  const currentExpiry = expiresAt ?? (previous?.expiresAt ? new Date(previous.expiresAt) : undefined);
  if (currentExpiry)
    deps.metrics.credentialExpiry.set({ kind, namespace, name }, currentExpiry.getTime() / 1000);

  if (failed.length > 0) {
    const expired = !written || (currentExpiry !== undefined && currentExpiry <= now);
    deps.metrics.credentialExpired.set({ kind, namespace, name }, written && expired ? 1 : 0);
    const first = failed[0] as SourceResult;
    const reason: ReadyReason =
      written && expired ? readyReasons.expired : (first.error?.reason ?? readyReasons.providerError);
    const detail = failed.map((r) => `spec.sources[${r.index}] (${r.label}): ${r.error?.message}`).join("; ");
    const msUntilExpiry = currentExpiry ? currentExpiry.getTime() - now.getTime() : undefined;
    const delay = retryDelayMs(failures, msUntilExpiry, deps.random());
    const message =
      reason === readyReasons.expired
        ? `the logins in Secret ${namespace}/${secretName} expired at ${currentExpiry?.toISOString()} and refreshing failed: ${detail}`
        : `${detail}${written ? `; Secret ${namespace}/${secretName} was left as it was` : ""}`;
    await report(reason, message, {
      sources,
      ...(currentExpiry ? { expiresAt: currentExpiry.toISOString() } : {}),
      nextRefreshTime: new Date(now.getTime() + delay).toISOString(),
    });
    return { requeueAfterMs: delay, failed: true };
  }

  const next = new Date(
    Math.min(
      ...results.map((r) =>
        refreshTime(
          r.minted?.mintedAt ?? now,
          earliestExpiry(r.minted?.tokens ?? []),
          policy,
          jitter,
        ).getTime(),
      ),
    ),
  );
  const hosts = sources.flatMap((s) => s.hosts);
  const message = `Secret ${namespace}/${secretName} holds ${hosts.length} registry login(s) (${hosts.join(", ")})${
    expiresAt ? `, valid until ${expiresAt.toISOString()}` : ""
  }; next refresh at ${next.toISOString()}`;
  const status: RegistryCredentialStatus = {
    observedGeneration: generation,
    secretName,
    sources,
    ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}),
    lastRefreshTime: refreshedAt.toISOString(),
    nextRefreshTime: next.toISOString(),
    conditions: setCondition(
      previous?.conditions,
      { type: "Ready", status: "True", reason: readyReasons.tokenRefreshed, message },
      generation,
      now,
    ),
  };
  const becameReady = previous?.conditions?.find((c) => c.type === "Ready")?.status !== "True";
  const minted = results.some((r) => r.minted && !r.minted.cached);
  await writeStatus(deps.objects, ref, previous, status);
  if (minted || becameReady) await deps.events.record(rc, "Normal", readyReasons.tokenRefreshed, message);
  deps.metrics.credentialReady.set({ kind, namespace, name }, 1);
  deps.metrics.credentialExpired.set({ kind, namespace, name }, 0);
  return { requeueAfterMs: Math.max(1000, next.getTime() - now.getTime()) };
}
