const baseDelayMs = 5_000;
const maxDelayMs = 5 * 60_000;
const minDelayMs = 1_000;

/**
 * How long to wait before retrying after `failures` consecutive failures: exponential from 5 s,
 * capped at 5 min, with ±20 % jitter (random in [0, 1) picks where). When the current login still
 * has time left, the delay is also capped to half of that time, so a retry happens before it
 * expires. Never below 1 s.
 */
export function retryDelayMs(failures: number, msUntilExpiry: number | undefined, random: number): number {
  const exponential = Math.min(baseDelayMs * 2 ** Math.max(0, failures - 1), maxDelayMs);
  let delay = Math.min(exponential * (0.8 + 0.4 * random), maxDelayMs);
  if (msUntilExpiry !== undefined && msUntilExpiry > 0) delay = Math.min(delay, msUntilExpiry / 2);
  return Math.max(minDelayMs, Math.round(delay));
}

/**
 * The retry delay after a failure that only a change can fix (bad configuration: an invalid or
 * missing referenced Secret, a refused identity): the longest delay, 5 min with jitter, also capped
 * to half of the current login's remaining time. The resource's own change retries at once.
 */
export function configurationRetryDelayMs(msUntilExpiry: number | undefined, random: number): number {
  return retryDelayMs(Number.POSITIVE_INFINITY, msUntilExpiry, random);
}
