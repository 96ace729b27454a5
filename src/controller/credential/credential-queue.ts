import type { KubernetesObject } from "@kubernetes/client-node";
import { rotateAnnotation } from "../../api/v1alpha1.js";
import { type SyncResult, type SyncRun, WorkQueue } from "../runtime/work-queue.js";
import type { ControllerContext } from "./context.js";

/**
 * The work queue of one credential kind, reporting depth and reconcile durations under `kind`.
 * Created paused: the controller resumes it once its caches have synced.
 */
export function credentialQueue<K>(
  ctx: ControllerContext,
  kind: string,
  key: { keyOf(key: K): string; describe(key: K): Record<string, string> },
  sync: (key: K, run: SyncRun) => Promise<SyncResult>,
): WorkQueue<K> {
  return new WorkQueue<K>({
    sync,
    ...key,
    concurrency: ctx.concurrency,
    logger: ctx.logger,
    clock: ctx.clock,
    random: ctx.random,
    startPaused: true,
    onDepthChange: (depth) => ctx.metrics.queueDepth.set({ queue: kind.toLowerCase() }, depth),
    onSynced: (result, seconds) => ctx.metrics.reconcileDuration.observe({ kind, result }, seconds),
  });
}

/**
 * Remembers what each resource looked like when it was last queued, so status-only updates (our
 * own status writes) queue nothing: only a change of generation, deletion, finalizers, uid or the
 * rotate annotation does.
 */
export class SpecChanges {
  private readonly seen = new Map<string, string>();

  /** Whether the object changed in a way that needs a reconcile since it was last seen; records it. */
  changed(id: string, object: KubernetesObject): boolean {
    const m = object.metadata ?? {};
    const fingerprint = JSON.stringify([
      m.generation,
      m.deletionTimestamp ?? null,
      m.finalizers ?? [],
      m.uid,
      m.annotations?.[rotateAnnotation] ?? null,
    ]);
    if (this.seen.get(id) === fingerprint) return false;
    this.seen.set(id, fingerprint);
    return true;
  }

  forget(id: string): void {
    this.seen.delete(id);
  }
}
