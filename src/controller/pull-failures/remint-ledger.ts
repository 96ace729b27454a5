import type { Clock } from "../../util/clock.js";

/** What to do about a pod whose pull the registry refused with a credential of ours. */
export type RemintDecision =
  /** Ask for a fresh mint of the identity now. */
  | "Remint"
  /** A fresh mint was asked for recently (by this pod or another); wait for the kubelet's retry. */
  | "Reminted"
  /** The kubelet tried again after the fresh login was written and was refused again. */
  | "PermissionDenied";

/**
 * Rate-limits pull-failure mints per identity and tells a lasting refusal from a stale login. An
 * identity is minted afresh at most once per `intervalMs`. A pod that has seen a fresh mint (asked
 * for by it or by another pod of the same identity) and then fails a fresh pull attempt (the
 * kubelet's ErrImagePull, not its back-off) more than `graceMs` after that mint was asked for, so
 * with the new login, is a permission problem: it never asks for another mint. Pure apart from `clock`.
 */
export class RemintLedger {
  private readonly lastRemint = new Map<string, number>();
  private readonly podSawRemint = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly graceMs = 15_000,
  ) {}

  /**
   * The decision for pod `podUid` failing with identity `identity`; `freshAttempt` when the pod's
   * state says the kubelet has just tried (ErrImagePull). Records what it decides.
   */
  decide(identity: string, podUid: string, freshAttempt: boolean): RemintDecision {
    const now = this.clock.now();
    const waited = this.podSawRemint.get(podUid);
    const last = this.lastRemint.get(identity);
    const seen = waited ?? (last !== undefined && now - last < this.intervalMs ? last : undefined);
    if (seen !== undefined) {
      this.podSawRemint.set(podUid, seen);
      return freshAttempt && now - seen >= this.graceMs ? "PermissionDenied" : "Reminted";
    }
    this.lastRemint.set(identity, now);
    this.podSawRemint.set(podUid, now);
    return "Remint";
  }

  /** When the fresh mint pod `podUid` waits for was asked for; undefined when it waits for none. */
  seenAt(podUid: string): number | undefined {
    return this.podSawRemint.get(podUid);
  }

  /** Forgets a pod that no longer fails (or is gone). */
  forget(podUid: string): void {
    this.podSawRemint.delete(podUid);
  }
}
