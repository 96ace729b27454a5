import type { Logger } from "pino";
import type { LeaseElector } from "./lease-elector.js";

/** What runs only while this replica leads. */
export interface LeaderWork {
  start(): void;
  /** Stops taking work and waits for work in flight. */
  stop(): Promise<void>;
}

/** How long a replica that lost the Lease waits for its work to stop before reporting the loss. */
const stopGraceMs = 5_000;

/**
 * Campaigns with `elector` and starts `work` when this replica starts leading. Resolves the
 * returned `lost` if the Lease is lost after having led (never after `stopping()` turns true): by
 * then writes are already refused (elector.isLeader() is false) and `work` has been stopped, or
 * given 5 s to stop. The caller should then exit, so that the process restarts with fresh state,
 * as controller-runtime does.
 */
export function campaign(
  elector: LeaseElector,
  logger: Logger,
  work: LeaderWork,
  stopping: () => boolean,
): { lost: Promise<void> } {
  let lostLeadership = () => {};
  const lost = new Promise<void>((resolve) => {
    lostLeadership = resolve;
  });
  let led = false;
  void elector
    .run({
      onStartedLeading: () => {
        led = true;
        work.start();
      },
      onNewLeader: (holder) => logger.info({ holder: holder || "(none)" }, "observed a new leader"),
    })
    .then(async (result) => {
      if (result !== "lost" || stopping() || !led) return;
      logger.error({ identity: elector.identity }, "lost leadership; stopping controllers");
      await Promise.race([work.stop(), new Promise((resolve) => setTimeout(resolve, stopGraceMs).unref())]);
      lostLeadership();
    });
  return { lost };
}
