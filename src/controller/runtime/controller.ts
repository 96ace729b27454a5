/** What the operator starts and stops: one per credential kind. */
export interface Controller {
  /** Reconciles every resource; call once the informers have synced. */
  start(): void;
  /** Stops taking work and waits for reconciles in flight. */
  stop(): Promise<void>;
  /** Resolves when no reconcile is queued or running (delayed requeues do not count). */
  idle(): Promise<void>;
}
