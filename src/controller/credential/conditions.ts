import type { Condition, ConditionStatus } from "../../api/v1alpha1.js";

export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/**
 * Returns the conditions with `update` applied: the condition of that type is replaced, keeping
 * its lastTransitionTime when the status is unchanged and setting it to `now` otherwise, and
 * observedGeneration is set to `generation`. Other conditions are kept as they are. Pure.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  update: ConditionUpdate,
  generation: number | undefined,
  now: Date,
): Condition[] {
  const previous = conditions?.find((c) => c.type === update.type);
  const next: Condition = {
    ...update,
    lastTransitionTime:
      previous && previous.status === update.status ? previous.lastTransitionTime : now.toISOString(),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
  };
  return [...(conditions ?? []).filter((c) => c.type !== update.type), next];
}

/** The condition of the given type, if present. */
export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
