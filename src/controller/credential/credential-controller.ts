import type { Controller } from "../runtime/controller.js";
import type { WorkQueue } from "../runtime/work-queue.js";
import type { ControllerContext } from "./context.js";
import { SpecChanges } from "./credential-queue.js";
import { TargetState } from "./targets.js";

/**
 * What both kinds' controllers share: a paused queue that starts once every existing resource is
 * queued, and stops by draining it. A subclass subscribes to its inputs in its constructor.
 */
export abstract class CredentialController<K> implements Controller {
  abstract readonly queue: WorkQueue<K>;
  /** What each resource looked like when last queued. */
  protected readonly changes = new SpecChanges();
  /** Each resource's last plan and per-namespace results. */
  protected readonly state = new TargetState();

  protected constructor(
    protected readonly ctx: ControllerContext,
    private readonly kind: string,
  ) {}

  /** Queues every resource of the kind; returns how many. */
  protected abstract queueAll(): number;

  start(): void {
    const resources = this.queueAll();
    this.queue.resume();
    this.ctx.logger.info({ kind: this.kind, resources }, `${this.kind} controller started`);
  }

  async stop(): Promise<void> {
    await this.queue.shutdown();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }
}
