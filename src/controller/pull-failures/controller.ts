import type { V1Pod } from "@kubernetes/client-node";
import type { Informer } from "../../kube/informer.js";
import type { ControllerContext } from "../credential/context.js";
import type { CredentialKind, CredentialResource } from "../credential/credential-kind.js";
import type { Controller } from "../runtime/controller.js";
import { WorkQueue } from "../runtime/work-queue.js";
import type { Covering } from "./covering-credentials.js";
import { RemintLedger } from "./remint-ledger.js";
import { type PodKey, syncPodPullFailures } from "./sync-pod.js";

const keyOf = (pod: V1Pod): PodKey => ({
  namespace: pod.metadata?.namespace as string,
  name: pod.metadata?.name as string,
});

/**
 * Wiring for pods failing to pull: the pod informer (which holds only pods whose status shows
 * ErrImagePull or ImagePullBackOff) → a work queue keyed by pod → syncPodPullFailures. A pod that
 * stops failing arrives as a deletion, so its entries leave status. Owns no logic of its own.
 */
export class PullFailureController implements Controller {
  private readonly queue: WorkQueue<PodKey>;

  constructor(
    ctx: ControllerContext,
    pods: Informer<V1Pod>,
    kinds: readonly { kind: CredentialKind<CredentialResource>; list: () => readonly CredentialResource[] }[],
    resync: (covering: Covering) => void,
    remintIntervalMs: number,
  ) {
    const deps = {
      ctx,
      pods,
      kinds,
      ledger: new RemintLedger(ctx.clock, remintIntervalMs),
      evictions: ctx.kube.core,
      resync,
      evictionTries: new Map<string, number>(),
    };
    this.queue = new WorkQueue<PodKey>({
      sync: (key) => syncPodPullFailures(deps, key),
      keyOf: (k) => `${k.namespace}/${k.name}`,
      describe: (k) => ({ kind: "Pod", ...k }),
      concurrency: Math.max(1, Math.min(ctx.concurrency, 4)),
      logger: ctx.logger,
      clock: ctx.clock,
      random: ctx.random,
      startPaused: true,
      onDepthChange: (depth) => ctx.metrics.queueDepth.set({ queue: "pod" }, depth),
      onSynced: (result, seconds) => ctx.metrics.reconcileDuration.observe({ kind: "Pod", result }, seconds),
    });
    for (const event of ["add", "update", "delete"] as const)
      pods.on(event, (pod) => this.queue.add(keyOf(pod)));
  }

  start(): void {
    this.queue.resume();
  }

  async stop(): Promise<void> {
    await this.queue.shutdown();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }
}
