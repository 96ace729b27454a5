import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { type CoordinationV1Api, type V1Lease, V1MicroTime } from "@kubernetes/client-node";
import { statusCode } from "../kube/errors.js";
import { type Clock, systemClock } from "../util/clock.js";
import { errorText } from "../util/error-text.js";

/** The three Lease calls the elector makes: the seam unit tests fake. */
export type LeaseApi = Pick<
  CoordinationV1Api,
  "readNamespacedLease" | "createNamespacedLease" | "replaceNamespacedLease"
>;

export interface LeaseElectorOptions {
  api: LeaseApi;
  namespace: string;
  /** The Lease's name. */
  name: string;
  /** This candidate's holderIdentity; unique per process (see defaultIdentity). */
  identity?: string;
  /** How long a lease is valid after its renewTime; followers take over only after that. Default 15 s. */
  leaseDurationMs?: number;
  /**
   * How long the leader keeps trying to renew, measured from its last successful renew, before it
   * gives up leading. Must be below leaseDurationMs so that a leader stops before anyone can take
   * over. Default 10 s.
   */
  renewDeadlineMs?: number;
  /** Wait between attempts to acquire or renew. Default 2 s. */
  retryPeriodMs?: number;
  clock?: Clock;
  logger?: ElectorLogger;
}

/** The subset of a pino logger the elector uses. */
interface ElectorLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

export interface LeaderCallbacks {
  /**
   * Called once, when this candidate becomes leader. `signal` aborts the moment it stops leading
   * (lost lease or stop()); work started here must stop writing when it does.
   */
  onStartedLeading(signal: AbortSignal): void;
  /** Called once after leading ended (lost or released), if onStartedLeading was called. */
  onStoppedLeading?(): void;
  /** Called whenever the observed holder changes (including to this candidate); "" means none. */
  onNewLeader?(identity: string): void;
}

/** How run() ended: stop() was called ("stopped"), or the lease could not be renewed in time ("lost"). */
export type RunResult = "stopped" | "lost";

const defaults = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/** hostname_pid_random: unique per process even when pods share a hostname or pids repeat. */
function defaultIdentity(): string {
  return `${hostname()}_${process.pid}_${randomBytes(4).toString("hex")}`;
}

/**
 * Throws unless leaseDuration > renewDeadline > retryPeriod > 0 and the lease lasts at least 1 s
 * (client-go's constraints, roughly). Messages name each timing and its flag.
 */
export function validateTimings(timings: {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}): void {
  const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = timings;
  if (!(retryPeriodMs > 0)) throw new Error("the retry period (--retry-period) must be positive");
  if (!(renewDeadlineMs > retryPeriodMs))
    throw new Error(
      "the renew deadline (--renew-deadline) must be longer than the retry period (--retry-period)",
    );
  if (!(leaseDurationMs > renewDeadlineMs))
    throw new Error(
      "the lease duration (--lease-duration) must be longer than the renew deadline (--renew-deadline)",
    );
  if (leaseDurationMs < 1000) throw new Error("the lease duration (--lease-duration) must be at least 1s");
}

/** Client-node leaves MicroTime fields as the apiserver's strings at runtime despite the Date type. */
function timeOf(value: Date | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

function microTime(ms: number): V1MicroTime {
  return new V1MicroTime(ms);
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics:
 *
 * - A candidate acquires the Lease when it is absent (create), unheld (holderIdentity empty) or
 *   expired (renewTime + leaseDurationSeconds < now); every update carries the resourceVersion it
 *   read, so of two candidates racing, the apiserver lets one win and answers the other 409.
 * - The leader renews every retryPeriod. When no renew has succeeded for renewDeadline (measured
 *   from the start of the last successful request), it stops leading: the AbortSignal given to
 *   onStartedLeading aborts and isLeader() turns false, before any follower can take over.
 * - stop() ends the loop and, when leading, releases the Lease (holderIdentity "", duration 1 s)
 *   so another candidate takes over without waiting for it to expire.
 *
 * One run() per elector; an elector that lost leadership is not reused (exit and start afresh).
 */
export class LeaseElector {
  readonly identity: string;
  private readonly api: LeaseApi;
  private readonly clock: Clock;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly stopping = new AbortController();
  /** The Lease as last read or written by this candidate. */
  private observed: V1Lease | undefined;
  private observedHolder: string | undefined;
  /** Start time of the last successful acquire or renew, while leading. */
  private lastRenewMs: number | undefined;
  private leading = false;
  /** Set when leading has ended; a renew request that completes late must not revive it. */
  private over = false;
  private running: Promise<RunResult> | undefined;

  constructor(private readonly options: LeaseElectorOptions) {
    this.api = options.api;
    this.identity = options.identity ?? defaultIdentity();
    this.clock = options.clock ?? systemClock;
    this.leaseDurationMs = options.leaseDurationMs ?? defaults.leaseDurationMs;
    this.renewDeadlineMs = options.renewDeadlineMs ?? defaults.renewDeadlineMs;
    this.retryPeriodMs = options.retryPeriodMs ?? defaults.retryPeriodMs;
    validateTimings({
      leaseDurationMs: this.leaseDurationMs,
      renewDeadlineMs: this.renewDeadlineMs,
      retryPeriodMs: this.retryPeriodMs,
    });
  }

  /**
   * True only while this candidate leads and its last successful renew is younger than
   * renewDeadline, judged by the clock now: a process resumed after a long pause reads false at
   * once, before its loop has noticed. Guard every write with it.
   */
  isLeader(): boolean {
    return (
      this.leading &&
      this.lastRenewMs !== undefined &&
      this.clock.now() - this.lastRenewMs < this.renewDeadlineMs
    );
  }

  /**
   * Campaigns until this candidate leads, then renews until stop() or until leadership is lost.
   * Resolves with how it ended; never rejects (API errors are retried). Calling it twice returns
   * the same promise.
   */
  run(callbacks: LeaderCallbacks): Promise<RunResult> {
    this.running ??= this.loop(callbacks);
    return this.running;
  }

  /** Ends run() and releases the Lease if held; resolves once done. Safe to call more than once. */
  async stop(): Promise<void> {
    this.stopping.abort();
    if (this.running) await this.running;
  }

  private async loop(callbacks: LeaderCallbacks): Promise<RunResult> {
    const stopSignal = this.stopping.signal;
    // Campaign.
    while (!stopSignal.aborted) {
      if (await this.tryAcquireOrRenew(callbacks)) break;
      await this.clock.sleep(this.retryPeriodMs, stopSignal);
    }
    if (stopSignal.aborted) {
      // Stopped while campaigning (perhaps just after winning): hand the Lease straight back.
      this.over = true;
      if (this.leading) {
        this.leading = false;
        await this.release();
      }
      return "stopped";
    }

    const leadership = new AbortController();
    this.options.logger?.info({ identity: this.identity, lease: this.leaseName() }, "started leading");
    try {
      callbacks.onStartedLeading(leadership.signal);
    } catch (error) {
      this.options.logger?.warn({ err: errorText(error) }, "onStartedLeading threw");
    }

    // Renew.
    let result: RunResult = "lost";
    for (;;) {
      await this.clock.sleep(this.retryPeriodMs, stopSignal);
      if (stopSignal.aborted) {
        result = "stopped";
        break;
      }
      if (!this.isLeader()) break;
      const deadline = (this.lastRenewMs ?? 0) + this.renewDeadlineMs;
      const renewed = await this.beforeDeadline(this.tryAcquireOrRenew(callbacks), deadline);
      if (renewed) continue;
      // Someone else holds a live Lease: we lost it (e.g. after a pause), no point retrying.
      if (this.observedHolder !== this.identity) break;
      if (this.clock.now() >= deadline) break;
    }
    this.over = true;
    this.leading = false;
    leadership.abort();
    if (result === "stopped") await this.release();
    else
      this.options.logger?.warn(
        { identity: this.identity, lease: this.leaseName(), holder: this.observedHolder },
        "lost leadership",
      );
    try {
      callbacks.onStoppedLeading?.();
    } catch (error) {
      this.options.logger?.warn({ err: errorText(error) }, "onStoppedLeading threw");
    }
    return result;
  }

  /** Resolves with the attempt's outcome, or false once the clock passes deadlineMs. */
  private async beforeDeadline(attempt: Promise<boolean>, deadlineMs: number): Promise<boolean> {
    const timeout = new AbortController();
    const expired = this.clock
      .sleep(deadlineMs - this.clock.now(), timeout.signal)
      .then(() => false as const);
    try {
      return await Promise.race([attempt, expired]);
    } finally {
      timeout.abort();
    }
  }

  /**
   * One read-then-write step of the state machine; true when this candidate holds the Lease
   * afterwards. API errors (including 409 from a lost race) are logged and count as false.
   */
  async tryAcquireOrRenew(callbacks: Pick<LeaderCallbacks, "onNewLeader"> = {}): Promise<boolean> {
    const { namespace, name } = this.options;
    const started = this.clock.now();
    let current: V1Lease;
    try {
      current = await this.api.readNamespacedLease({ namespace, name });
    } catch (error) {
      if (statusCode(error) !== 404) {
        this.options.logger?.warn({ err: errorText(error), lease: this.leaseName() }, "reading lease failed");
        return false;
      }
      try {
        const created = await this.api.createNamespacedLease({
          namespace,
          body: {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: { name, namespace },
            spec: this.spec(started, started, 0),
          },
        });
        return this.acquired(created, started, callbacks);
      } catch (createError) {
        this.options.logger?.debug(
          { err: errorText(createError), lease: this.leaseName() },
          "creating lease failed",
        );
        return false;
      }
    }

    this.observed = current;
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? "";
    this.observe(holder, callbacks);
    const renewMs = timeOf(spec.renewTime);
    const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
    const expired = renewMs === undefined || renewMs + durationMs < started;
    if (holder !== "" && holder !== this.identity && !expired) return false;

    const ours = holder === this.identity;
    const acquireMs = ours ? (timeOf(spec.acquireTime) ?? started) : started;
    const transitions = (spec.leaseTransitions ?? 0) + (ours ? 0 : 1);
    try {
      const updated = await this.api.replaceNamespacedLease({
        namespace,
        name,
        body: {
          ...current,
          // Optimistic concurrency: the apiserver rejects this (409) if the Lease changed since read.
          metadata: { ...current.metadata, resourceVersion: current.metadata?.resourceVersion },
          spec: { ...spec, ...this.spec(acquireMs, started, transitions) },
        },
      });
      return this.acquired(updated, started, callbacks);
    } catch (error) {
      this.options.logger?.debug(
        { err: errorText(error), status: statusCode(error), lease: this.leaseName() },
        ours ? "renewing lease failed" : "taking over lease failed",
      );
      return false;
    }
  }

  private acquired(lease: V1Lease, startedMs: number, callbacks: Pick<LeaderCallbacks, "onNewLeader">): true {
    this.observed = lease;
    this.observe(this.identity, callbacks);
    if (this.over) return true;
    this.leading = true;
    this.lastRenewMs = startedMs;
    return true;
  }

  private observe(holder: string, callbacks: Pick<LeaderCallbacks, "onNewLeader">): void {
    if (holder === this.observedHolder) return;
    this.observedHolder = holder;
    try {
      callbacks.onNewLeader?.(holder);
    } catch {
      // A logging callback must not break the election.
    }
  }

  private spec(acquireMs: number, renewMs: number, transitions: number): V1Lease["spec"] {
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: microTime(acquireMs),
      renewTime: microTime(renewMs),
      leaseTransitions: transitions,
    };
  }

  /** Clears holderIdentity if this candidate still holds the Lease; best effort, conflicts ignored. */
  private async release(): Promise<void> {
    const lease = this.observed;
    if (!lease?.metadata?.resourceVersion || lease.spec?.holderIdentity !== this.identity) return;
    const now = this.clock.now();
    try {
      this.observed = await this.api.replaceNamespacedLease({
        namespace: this.options.namespace,
        name: this.options.name,
        body: {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: "",
            leaseDurationSeconds: 1,
            acquireTime: microTime(now),
            renewTime: microTime(now),
          },
        },
      });
      this.observedHolder = "";
      this.options.logger?.info({ identity: this.identity, lease: this.leaseName() }, "released lease");
    } catch (error) {
      this.options.logger?.warn(
        { err: errorText(error), status: statusCode(error), lease: this.leaseName() },
        "releasing lease failed",
      );
    }
  }

  private leaseName(): string {
    return `${this.options.namespace}/${this.options.name}`;
  }
}
