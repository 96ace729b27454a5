import type { PullFailureStatus } from "../../api/v1alpha1.js";

/**
 * The status.pullFailures list of each credential resource as this replica last decided it: the
 * one source of truth for both writers (the pull-failure sync and the credential sync, whose status
 * writes carry the list), so neither writes back a stale copy from the informer cache. Writes of one
 * resource are sent one after another, each with the list as it stands when it is sent.
 */
export class PullFailureLists {
  private readonly lists = new Map<string, PullFailureStatus[]>();
  private readonly writes = new Map<string, Promise<void>>();

  /** The resource's list: what was last decided here, else what its status says. */
  current(id: string, status: readonly PullFailureStatus[] | undefined): PullFailureStatus[] | undefined {
    return this.lists.get(id) ?? (status ? [...status] : undefined);
  }

  /**
   * Applies `change` to the resource's current list and has `write` send the list (null when empty)
   * after every earlier write of the resource settled. Rejects with `write`'s error.
   */
  async update(
    id: string,
    status: readonly PullFailureStatus[] | undefined,
    change: (list: readonly PullFailureStatus[]) => PullFailureStatus[],
    write: (list: PullFailureStatus[] | null) => Promise<unknown>,
  ): Promise<void> {
    this.lists.set(id, change(this.current(id, status) ?? []));
    const previous = this.writes.get(id) ?? Promise.resolve();
    const next = previous
      .catch(() => {})
      .then(async () => {
        const list = this.lists.get(id) ?? [];
        await write(list.length > 0 ? list : null);
      });
    this.writes.set(id, next);
    await next;
  }

  /** Forgets a resource that is gone. */
  forget(id: string): void {
    this.lists.delete(id);
    this.writes.delete(id);
  }
}
