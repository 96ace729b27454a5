import type { PullFailureStatus } from "../../api/v1alpha1.js";

/**
 * status.pullFailures holds at most this many entries, the latest first.
 * @internal exported for its tests
 */
export const maxPullFailuresListed = 10;

const samePull = (a: PullFailureStatus, b: PullFailureStatus) =>
  a.namespace === b.namespace && a.pod === b.pod && a.image === b.image;

/** `list` with `entry` in place of the entry for the same pod and image, latest first, bounded. Pure. */
export function withPullFailure(
  list: readonly PullFailureStatus[] | undefined,
  entry: PullFailureStatus,
): PullFailureStatus[] {
  return [entry, ...(list ?? []).filter((e) => !samePull(e, entry))]
    .sort((a, b) => b.lastSeen.localeCompare(a.lastSeen))
    .slice(0, maxPullFailuresListed);
}

/** `list` without the entries of pod `namespace`/`pod`. Pure. */
export function withoutPod(
  list: readonly PullFailureStatus[] | undefined,
  namespace: string,
  pod: string,
): PullFailureStatus[] {
  return (list ?? []).filter((e) => e.namespace !== namespace || e.pod !== pod);
}

/**
 * Whether writing `entry` would tell something new: no entry for its pod and image yet, another
 * cause or action, or the recorded one is older than `refreshMs` (status then says the pod still
 * fails, with the kubelet's latest message, without a write per kubelet retry: its message
 * alternates between the attempt's and the back-off's).
 */
export function worthRecording(
  list: readonly PullFailureStatus[] | undefined,
  entry: PullFailureStatus,
  refreshMs = 60_000,
): boolean {
  const current = list?.find((e) => samePull(e, entry));
  if (!current) return true;
  if (current.cause !== entry.cause || current.action !== entry.action) return true;
  return Date.parse(entry.lastSeen) - Date.parse(current.lastSeen) >= refreshMs;
}
