import type { VerifyPolicy } from "../api/v1alpha1.js";
import { parseDuration } from "../util/duration.js";

/** spec.verify with its defaults applied. */
export interface ResolvedVerifyPolicy {
  mode: "Warn" | "Enforce" | "Disabled";
  /** spec.verify.interval in milliseconds; undefined when logins are checked only after a mint. */
  intervalMs?: number;
}

/** The shortest spec.verify.interval: a registry is not asked more often than this per login. */
const minVerifyIntervalMs = 60_000;

/**
 * spec.verify resolved: mode Warn by default, the interval parsed. Throws an Error naming the
 * problem for an interval that does not parse or is shorter than a minute.
 */
export function resolveVerifyPolicy(policy: VerifyPolicy | undefined): ResolvedVerifyPolicy {
  const mode = policy?.mode ?? "Warn";
  if (!policy?.interval) return { mode };
  const intervalMs = parseDuration(policy.interval);
  if (intervalMs < minVerifyIntervalMs)
    throw new Error(`interval ${policy.interval} is shorter than the minimum of 1m`);
  return { mode, intervalMs };
}
