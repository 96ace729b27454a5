import type { CustomObjectsApi } from "@kubernetes/client-node";
import type { ReadyReason, RegistryCredentialStatus } from "../api/v1alpha1.js";
import type { OperatorMetrics } from "../metrics/metrics.js";
import { setCondition } from "./conditions.js";
import { writeStatus } from "./credential-status.js";
import type { ObjectRef } from "./custom-objects.js";
import type { EventRecorder, EventTarget } from "./events.js";

export interface NotReadyTarget<S extends RegistryCredentialStatus> {
  object: EventTarget & { metadata: { generation?: number }; status?: S };
  ref: ObjectRef;
  secretName: string;
  labels: { kind: string; namespace: string; name: string };
}

/**
 * Reports Ready=False with `reason` and `message`: the status keeps what it said before, overlaid
 * with `extra`, and is written only if it changed; a Warning event (deduplicated) and the ready
 * metric follow. Throws ApiException when the status cannot be written.
 */
export async function reportNotReady<S extends RegistryCredentialStatus>(
  deps: { objects: CustomObjectsApi; events: EventRecorder; metrics: OperatorMetrics },
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
    conditions: setCondition(
      previous?.conditions,
      { type: "Ready", status: "False", reason, message },
      generation,
      now,
    ),
  } as S;
  await writeStatus(deps.objects, target.ref, previous, status);
  await deps.events.record(target.object, "Warning", reason, message);
  deps.metrics.credentialReady.set(target.labels, 0);
}
