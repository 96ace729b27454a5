import {
  type ClusterRegistryCredentialStatus,
  type Condition,
  type ReadyReason,
  type RegistryCredentialStatus,
  readyReasons,
} from "../../api/v1alpha1.js";
import type { CredentialObjectsApi } from "../../kube/ports.js";
import type { OperatorMetrics } from "../../metrics/metrics.js";
import { verifiedConditionType } from "../../verify/verified-condition.js";
import type { EventRecorder, EventTarget } from "../runtime/events.js";
import { type ConditionUpdate, findCondition, setCondition } from "./conditions.js";
import { writeStatus } from "./credential-status.js";
import type { ObjectRef } from "./custom-objects.js";
import { podAdmissionConditionType } from "./pod-admission-condition.js";

export interface NotReadyTarget<S extends RegistryCredentialStatus> {
  object: EventTarget & { metadata: { generation?: number }; status?: S };
  ref: ObjectRef;
  secretName: string;
  labels: { kind: string; namespace: string; name: string };
  /** The PodAdmission condition to set (null: remove it; undefined: keep what status says). */
  podAdmission?: ConditionUpdate | null;
  /** The Verified condition to set (null: remove it; undefined: keep what status says). */
  verified?: ConditionUpdate | null;
}

/** The conditions with Ready set to `ready`, and the PodAdmission and Verified conditions as the target says. */
function conditionsFor<S extends RegistryCredentialStatus>(
  target: NotReadyTarget<S>,
  ready: ConditionUpdate,
  now: Date,
): Condition[] {
  const generation = target.object.metadata.generation;
  let conditions = setCondition(target.object.status?.conditions, ready, generation, now);
  for (const [type, update] of [
    [podAdmissionConditionType, target.podAdmission],
    [verifiedConditionType, target.verified],
  ] as const) {
    if (update === null) conditions = conditions.filter((c) => c.type !== type);
    else if (update !== undefined) conditions = setCondition(conditions, update, generation, now);
  }
  return conditions;
}

/**
 * Reports Ready=False with `reason` and `message`: the status keeps what it said before, overlaid
 * with `extra`, and is written only if it changed; a Warning event (deduplicated) and the ready
 * metric follow. Throws ApiException when the status cannot be written.
 */
async function reportNotReady<S extends RegistryCredentialStatus>(
  deps: { kube: { objects: CredentialObjectsApi }; events: EventRecorder; metrics: OperatorMetrics },
  target: NotReadyTarget<S>,
  now: Date,
  reason: ReadyReason,
  message: string,
  extra: Partial<S> = {},
): Promise<void> {
  const previous = target.object.status;
  const generation = target.object.metadata.generation;
  const status = {
    ...previous,
    ...extra,
    observedGeneration: generation,
    secretName: target.secretName,
    conditions: conditionsFor(target, { type: "Ready", status: "False", reason, message }, now),
  } as S;
  await writeStatus(deps.kube.objects, target.ref, previous, status);
  await deps.events.record(target.object, "Warning", reason, message);
  deps.metrics.credentialReady.set(target.labels, 0);
}

/**
 * Reports Ready=True after a successful refresh: the status is replaced by `status` plus the Ready
 * condition (lastTransitionTime kept when it was already True), written only if it changed; a
 * Normal event when tokens were minted or the resource just became ready; ready and expired metrics.
 * Throws ApiException when the status cannot be written.
 */
async function reportReady<S extends RegistryCredentialStatus>(
  deps: { kube: { objects: CredentialObjectsApi }; events: EventRecorder; metrics: OperatorMetrics },
  target: NotReadyTarget<S>,
  now: Date,
  status: Omit<S, "conditions" | "observedGeneration" | "secretName">,
  message: string,
  minted: boolean,
): Promise<void> {
  const previous = target.object.status;
  const generation = target.object.metadata.generation;
  const next = {
    ...status,
    observedGeneration: generation,
    secretName: target.secretName,
    conditions: conditionsFor(
      target,
      { type: "Ready", status: "True", reason: readyReasons.tokenRefreshed, message },
      now,
    ),
  } as S;
  const becameReady = findCondition(previous?.conditions, "Ready")?.status !== "True";
  await writeStatus(deps.kube.objects, target.ref, previous, next);
  if (minted || becameReady)
    await deps.events.record(target.object, "Normal", readyReasons.tokenRefreshed, message);
  deps.metrics.credentialReady.set(target.labels, 1);
  deps.metrics.credentialExpired.set(target.labels, 0);
}

/** The status of one resource during one sync: Ready=False or Ready=True, with the target's PodAdmission condition. */
export interface CredentialStatus {
  readonly target: NotReadyTarget<ClusterRegistryCredentialStatus>;
  notReady(
    reason: ReadyReason,
    message: string,
    extra?: Partial<ClusterRegistryCredentialStatus>,
  ): Promise<void>;
  ready(
    status: Omit<ClusterRegistryCredentialStatus, "conditions" | "observedGeneration" | "secretName">,
    message: string,
    minted: boolean,
  ): Promise<void>;
}

/** reportNotReady and reportReady bound to one resource and one moment. */
export function credentialStatus(
  deps: { kube: { objects: CredentialObjectsApi }; events: EventRecorder; metrics: OperatorMetrics },
  self: {
    resource: NotReadyTarget<ClusterRegistryCredentialStatus>["object"];
    ref: ObjectRef;
    secretName: string;
    labels: NotReadyTarget<RegistryCredentialStatus>["labels"];
  },
  now: Date,
): CredentialStatus {
  const target: NotReadyTarget<ClusterRegistryCredentialStatus> = {
    object: self.resource,
    ref: self.ref,
    secretName: self.secretName,
    labels: self.labels,
  };
  return {
    target,
    notReady: (reason, message, extra = {}) => reportNotReady(deps, target, now, reason, message, extra),
    ready: (status, message, minted) => reportReady(deps, target, now, status, message, minted),
  };
}
