import type { Controller } from "../runtime/controller.js";
import type { WorkQueue } from "../runtime/work-queue.js";
import type { ControllerContext } from "./context.js";
import { type CredentialKind, type CredentialResource, credentialOf } from "./credential-kind.js";
import { SpecChanges } from "./credential-queue.js";
import { referencedSecretsOf } from "./referenced-secrets.js";
import { pendingRotation } from "./rotation.js";
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

  /**
   * Keeps ctx.references and ctx.rotations current for `resource` (call on every add and update,
   * and for each resource at start): when its pending rotation was first seen, and from now on a
   * creation, change (new resourceVersion) or deletion of a Secret its sources read queues `key` at
   * once, once per change, also while the key backs off: such a change is what fixes a source that
   * failed for want of it, and what a rotated key needs. A deleting resource reads nothing more.
   */
  protected followReferences<T extends CredentialResource>(
    kind: CredentialKind<T>,
    resource: T,
    key: K,
  ): void {
    const { id } = credentialOf(kind, resource);
    this.ctx.rotations.observe(id, pendingRotation(resource), new Date(this.ctx.clock.now()));
    if (resource.metadata.deletionTimestamp) {
      this.ctx.references.untrack(id);
      return;
    }
    this.ctx.references.track(id, referencedSecretsOf(kind, resource), (secret) => {
      this.ctx.metrics.referencedSecretChanges.inc({ kind: this.kind });
      this.ctx.logger.info(
        { kind: this.kind, resource: id, secret: `${secret.namespace}/${secret.name}` },
        "a referenced Secret changed; reconciling",
      );
      this.queue.add(key);
    });
  }

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
