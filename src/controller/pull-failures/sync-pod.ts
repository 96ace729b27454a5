import type { V1Pod } from "@kubernetes/client-node";
import type { PullFailureStatus } from "../../api/v1alpha1.js";
import type { Informer } from "../../kube/informer.js";
import type { EvictionApi } from "../../kube/ports.js";
import { type PodPullFailure, pullFailuresOf } from "../../pulls/pull-failure.js";
import { isOwnedBy } from "../../secrets/ownership.js";
import { errorText } from "../../util/error-text.js";
import type { ControllerContext } from "../credential/context.js";
import { type CredentialKind, type CredentialResource, credentialOf } from "../credential/credential-kind.js";
import { mergePatchObject } from "../credential/custom-objects.js";
import type { SyncResult } from "../runtime/work-queue.js";
import { type Covering, coveringCredentials } from "./covering-credentials.js";
import { evictPod } from "./evict-pod.js";
import { withoutPod, withPullFailure, worthRecording } from "./pull-failure-list.js";
import type { RemintLedger } from "./remint-ledger.js";

export interface PodKey {
  namespace: string;
  name: string;
}

/** What the pull-failure sync reads and calls; built once by its controller. */
export interface PullFailureDeps {
  ctx: ControllerContext;
  /** Only pods failing to pull (the informer keeps no other). */
  pods: Informer<V1Pod>;
  kinds: readonly { kind: CredentialKind<CredentialResource>; list: () => readonly CredentialResource[] }[];
  ledger: RemintLedger;
  evictions: EvictionApi;
  /** Queues a credential resource for a sync at once. */
  resync(covering: Covering): void;
  /** When each pod was last sent to the Eviction API (one try a minute). */
  evictionTries: Map<string, number>;
}

const evictionRetryMs = 60_000;
type Action = PullFailureStatus["action"];

/**
 * Handles one pod as its status stands: guard clauses (gone or no longer failing: its entries leave
 * every resource's status) → per image failing to pull from a host one of our Secrets covers: with
 * that Secret in imagePullSecrets and the registry refusing the credential, a fresh mint (rate
 * limited by the ledger) or PermissionDenied; without it, eviction when the resource opts in and a
 * recreated pod would get the Secret, else a report → status.pullFailures, an event and metrics.
 * Pod status is written by the kubelet, so Events (which tenants can write) are never read. Throws
 * only for apiserver errors writing a resource's status (the queue retries).
 */
export async function syncPodPullFailures(deps: PullFailureDeps, key: PodKey): Promise<SyncResult> {
  const podId = `${key.namespace}/${key.name}`;
  const pod = deps.pods.get(key.name, key.namespace);
  const failures = pod ? pullFailuresOf(pod) : [];
  if (!pod || failures.length === 0) {
    deps.ledger.forget(podId);
    deps.evictionTries.delete(podId);
    await forgetPod(deps, key);
    return {};
  }
  for (const failure of failures) {
    const covering = coveringCredentials(deps.kinds, key.namespace, failure.host);
    if (covering.length === 0) continue;
    const held = covering.filter((c) =>
      pod.spec?.imagePullSecrets?.some((s) => s.name === c.credential.secretName),
    );
    if (held.length > 0) {
      for (const c of held) {
        const { action, message } = refusedCredential(deps, c, podId, failure);
        await record(deps, c, key, failure, action, message);
      }
      continue;
    }
    const recovered = await recoverPod(deps, pod, covering, podId, failure);
    if (!recovered) continue;
    for (const c of covering) await record(deps, c, key, failure, recovered.action, recovered.message);
  }
  return {};
}

/** What becomes of a pod holding our Secret: a fresh mint, a wait for it, or a permission problem. */
function refusedCredential(
  deps: PullFailureDeps,
  c: Covering,
  podId: string,
  failure: PodPullFailure,
): { action: Action; message: string } {
  if (failure.cause !== "CredentialsRefused")
    return { action: "Reported", message: `${failure.cause}: ${failure.message}` };
  if (!c.identity)
    return {
      action: "Reported",
      message: `the registry refused the login, and status names no identity of spec.sources[${c.index}] to mint afresh yet: ${failure.message}`,
    };
  const decided = deps.ledger.decide(c.identity, podId, failure.state === "ErrImagePull");
  // A refusal counts against the fresh login only once that login is written (status says when
  // the source last minted); until then the pod is still waiting for it.
  const refreshedAt = Date.parse(
    c.credential.resource.status?.sources?.find((s) => s.index === c.index)?.refreshedAt ?? "",
  );
  const seen = deps.ledger.seenAt(podId);
  const decision =
    decided === "PermissionDenied" && !(seen !== undefined && refreshedAt >= seen) ? "Reminted" : decided;
  if (decision === "PermissionDenied")
    return {
      action: "PermissionDenied",
      message: `refused again after a fresh login was written, so the identity of spec.sources[${c.index}] may not pull this image: ${failure.message}`,
    };
  if (decision === "Remint") {
    deps.ctx.remints.request(c.identity);
    deps.resync(c);
  }
  return {
    action: "Reminted",
    message: `the registry refused the login; a fresh one is minted and written for the kubelet's next retry: ${failure.message}`,
  };
}

/**
 * Evicts a pod lacking every covering Secret, for the first resource that opts in, once recreated
 * pods would get the Secret (it exists there, and the pod's ServiceAccount lists it or pod
 * admission adds it); otherwise says why not. Undefined while an eviction was tried within the minute.
 */
async function recoverPod(
  deps: PullFailureDeps,
  pod: V1Pod,
  covering: readonly Covering[],
  podId: string,
  failure: PodPullFailure,
): Promise<{ action: Action; message: string } | undefined> {
  const names = covering.map((c) => c.credential.secretName).join(", ");
  const lacking = `the pod lacks Secret ${names} in imagePullSecrets (it was created before the Secret or the ServiceAccount patch existed)`;
  // Only a refused credential is what the Secret fixes: a missing image or an unreachable
  // registry would fail the recreated pod the same way.
  if (failure.cause !== "CredentialsRefused")
    return { action: "Reported", message: `${lacking}; ${failure.cause}: ${failure.message}` };
  const opted = covering.find((c) => c.credential.resource.spec.pullFailures?.evictPodsMissingSecret);
  if (!opted)
    return {
      action: "Reported",
      message: `${lacking}; recreate it, or set spec.pullFailures.evictPodsMissingSecret to have it evicted`,
    };
  const { informers } = deps.ctx;
  const namespace = pod.metadata?.namespace as string;
  const secret = informers.secrets.get(opted.credential.secretName, namespace);
  const accountName = pod.spec?.serviceAccountName || "default";
  const account = informers.serviceAccounts.get(accountName, namespace);
  // ServiceAccount admission gives a pod the account's pull Secrets only when it lists none itself.
  const listsOwn = (pod.spec?.imagePullSecrets?.length ?? 0) > 0;
  const accountHolds =
    !listsOwn && account?.imagePullSecrets?.some((s) => s.name === opted.credential.secretName);
  const admitted = opted.credential.resource.spec.podAdmission?.enabled === true;
  if (!secret || !isOwnedBy(secret, opted.credential.owner) || (!accountHolds && !admitted))
    return {
      action: "Reported",
      message: `${lacking}; not evicted, since a recreated pod would lack it too (${
        !secret
          ? "the Secret is not there yet"
          : listsOwn
            ? "the pod lists imagePullSecrets of its own, so it gets none of its ServiceAccount's, and spec.podAdmission is off"
            : `ServiceAccount ${accountName} does not list it and spec.podAdmission is off`
      })`,
    };
  const lastTry = deps.evictionTries.get(podId);
  const now = deps.ctx.clock.now();
  if (lastTry !== undefined && now - lastTry < evictionRetryMs) return undefined;
  deps.evictionTries.set(podId, now);
  const budgets = deps.ctx.kube.policy;
  if (!budgets)
    return { action: "Reported", message: `${lacking}; not evicted (no PodDisruptionBudget client)` };
  const outcome = await evictPod(deps.evictions, budgets, pod);
  if (outcome.result !== "Gone") deps.ctx.metrics.evictions.inc({ result: outcome.result });
  switch (outcome.result) {
    case "Gone":
      return undefined;
    case "Failed":
      return { action: "Reported", message: `${lacking}; ${outcome.message}` };
    default:
      return { action: outcome.result, message: `${lacking}; ${outcome.message}` };
  }
}

/** Records one failure in the resource's status (when it says something new) and as an event. */
async function record(
  deps: PullFailureDeps,
  c: Covering,
  pod: PodKey,
  failure: PodPullFailure,
  action: Action,
  message: string,
): Promise<void> {
  const { ctx } = deps;
  const entry: PullFailureStatus = {
    namespace: pod.namespace,
    pod: pod.name,
    image: failure.image,
    cause: failure.cause,
    action,
    message: message.slice(0, 512),
    lastSeen: new Date(ctx.clock.now()).toISOString(),
  };
  const resource = c.credential.resource;
  const { id, ref } = c.credential;
  if (!worthRecording(ctx.pullFailureLists.current(id, resource.status?.pullFailures), entry)) return;
  await ctx.pullFailureLists.update(
    id,
    resource.status?.pullFailures,
    (list) => withPullFailure(list, entry),
    (pullFailures) => mergePatchObject(ctx.kube.objects, ref, { status: { pullFailures } }, "status"),
  );
  ctx.metrics.pullFailures.inc({ cause: failure.cause, action });
  await ctx.events.record(
    resource,
    "Warning",
    action === "Reminted" || action === "Evicted" ? `PullFailure${action}` : "PullFailure",
    `pod ${pod.namespace}/${pod.name} cannot pull ${failure.image}: ${message}`,
  );
}

/** Removes a pod that no longer fails from every resource's status.pullFailures. */
async function forgetPod(deps: PullFailureDeps, pod: PodKey): Promise<void> {
  const lists = deps.ctx.pullFailureLists;
  for (const { kind, list } of deps.kinds)
    for (const resource of list()) {
      const { id, ref } = credentialOf(kind, resource);
      const listed = lists.current(id, resource.status?.pullFailures);
      if (!listed?.some((e) => e.namespace === pod.namespace && e.pod === pod.name)) continue;
      try {
        await lists.update(
          id,
          resource.status?.pullFailures,
          (current) => withoutPod(current, pod.namespace, pod.name),
          (pullFailures) =>
            mergePatchObject(deps.ctx.kube.objects, ref, { status: { pullFailures } }, "status"),
        );
      } catch (error) {
        deps.ctx.logger.warn({ err: errorText(error), pod }, "removing a pull failure from status failed");
      }
    }
}
