import type { Logger } from "pino";
import { errorText } from "../../util/error-text.js";
import { StoppedError } from "../credential/mint-sources.js";
import { retryDelayMs } from "../credential/retry-delay.js";
import type { WorkQueue } from "./work-queue.js";

export interface SyncResult {
  /** Reconcile again after this many milliseconds (renewal time or retry backoff). */
  requeueAfterMs?: number;
  /** The reconcile failed and counts towards the key's backoff. */
  failed?: boolean;
}

/**
 * Runs one sync for `key` and applies its result to the queue: failures are counted (or forgotten
 * on success), the requested requeue is scheduled, and the duration is observed with the result.
 * A thrown error (an unexpected apiserver failure) is logged and retried with backoff. Never throws.
 */
export async function runSync(
  queue: WorkQueue,
  key: string,
  logger: Logger,
  observe: (result: "success" | "failed" | "error") => void,
  sync: (failures: number) => Promise<SyncResult>,
): Promise<void> {
  try {
    const outcome = await sync(queue.failureCount(key) + 1);
    if (outcome.failed) queue.recordFailure(key);
    else queue.forget(key);
    if (outcome.requeueAfterMs !== undefined) queue.addAfter(key, outcome.requeueAfterMs);
    observe(outcome.failed ? "failed" : "success");
    logger.debug(
      { key, failed: outcome.failed ?? false, requeueAfterMs: outcome.requeueAfterMs },
      "reconciled",
    );
  } catch (error) {
    if (error instanceof StoppedError) {
      logger.info({ key }, "reconcile abandoned: the operator is stopping");
      observe("error");
      return;
    }
    const delay = retryDelayMs(queue.recordFailure(key), undefined, Math.random());
    logger.error({ key, err: errorText(error), retryInMs: delay }, "reconcile failed");
    queue.addAfter(key, delay);
    observe("error");
  }
}
