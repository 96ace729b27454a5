// The operator under test, run as its own process (node dist/operator/main.mjs, the bundle the
// image ships) so its memory is its own.
import { readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../test/support/controlplane/ports.js";
import { type ManagedProcess, startProcess } from "../../test/support/controlplane/processes.js";
import { processCpuSeconds, procStatusKb, sleep } from "./proc.js";
import { type OperatorCounters, scrapeOperator } from "./prometheus.js";

export { sleep } from "./proc.js";

const mainJs =
  process.env.BENCH_OPERATOR_MAIN ?? fileURLToPath(new URL("../../dist/operator/main.mjs", import.meta.url));
/**
 * Node flags for the operator process (BENCH_NODE_OPTIONS, split at spaces): by default the heap the
 * image gives it under the chart's 256Mi memory limit (--max-old-space-size-percentage=50 of it, and
 * the image's --max-semi-space-size=2), spelled out since the bench runs in no such cgroup.
 */
export const benchNodeOptions =
  process.env.BENCH_NODE_OPTIONS ?? "--max-old-space-size=128 --max-semi-space-size=2";
const nodeFlags = benchNodeOptions.split(" ").filter(Boolean);
/** glibc's malloc arenas for the operator process: the image's MALLOC_ARENA_MAX unless the bench's environment sets one. */
export const benchMallocArenas = process.env.MALLOC_ARENA_MAX ?? "2";

export interface OperatorSettings {
  kubeconfigPath: string;
  operatorNamespace: string;
  concurrency: number;
  qps: number;
  burst: number;
  /** Where the AWS SDK in the operator sends ECR calls (AWS_ENDPOINT_URL_ECR). */
  ecrEndpoint: string;
  logDir: string;
  logLevel: string;
  /** More operator flags (a feature switched on or off). */
  extraArgs?: readonly string[];
}

/** Memory of the operator process, in bytes, from /proc/PID/status. */
export interface MemorySample {
  rss: number;
  anon: number;
  file: number;
}

export class OperatorProcess {
  /** Memory right after /readyz first answered 200 (caches synced, nothing reconciled yet). */
  readyMemory: MemorySample | undefined;
  /** Largest anonymous RSS seen by a 200 ms sampler (VmHWM has no anonymous-only counterpart). */
  peakAnonBytes = 0;
  /** Most sockets the process held open at once (sampled every 200 ms from /proc/PID/fd). */
  peakSockets = 0;
  private sampler: NodeJS.Timeout | undefined;

  private constructor(
    private readonly proc: ManagedProcess,
    readonly metricsUrl: string,
    private readonly readyUrl: string,
  ) {
    this.sampler = setInterval(() => {
      try {
        this.peakAnonBytes = Math.max(this.peakAnonBytes, this.memory().anon);
        this.peakSockets = Math.max(this.peakSockets, this.openSockets());
      } catch {
        // the process has exited
      }
    }, 200);
    this.sampler.unref();
  }

  /** performance.now() when the process was spawned, and when /readyz first answered 200. */
  startedAt = 0;
  readyAt = 0;

  /** Starts the operator and resolves once /readyz answers 200 (caches synced). */
  static async start(settings: OperatorSettings, name: string): Promise<OperatorProcess> {
    const port = await freePort();
    // startProcess passes this process's environment on; the operator reads the ECR endpoint from it.
    process.env.AWS_ENDPOINT_URL_ECR = settings.ecrEndpoint;
    process.env.AWS_EC2_METADATA_DISABLED = "true";
    process.env.MALLOC_ARENA_MAX = benchMallocArenas;
    const startedAt = performance.now();
    const proc = startProcess(
      name,
      process.execPath,
      [
        ...nodeFlags,
        mainJs,
        "--kubeconfig",
        settings.kubeconfigPath,
        "--operator-namespace",
        settings.operatorNamespace,
        "--metrics-bind-address",
        `127.0.0.1:${port}`,
        "--concurrency",
        String(settings.concurrency),
        "--kube-api-qps",
        String(settings.qps),
        "--kube-api-burst",
        String(settings.burst),
        "--log-level",
        settings.logLevel,
        ...(settings.extraArgs ?? []),
      ],
      join(settings.logDir, `${name}.log`),
    );
    const operator = new OperatorProcess(
      proc,
      `http://127.0.0.1:${port}/metrics`,
      `http://127.0.0.1:${port}/readyz`,
    );
    operator.startedAt = startedAt;
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (proc.hasExited()) throw new Error(`${name} exited early:\n${proc.logTail()}`);
      try {
        const response = await fetch(operator.readyUrl, { signal: AbortSignal.timeout(2000) });
        if (response.status === 200) {
          operator.readyAt = performance.now();
          operator.readyMemory = operator.memory();
          return operator;
        }
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await proc.stop();
        throw new Error(`${name} was not ready after 120 s:\n${proc.logTail()}`);
      }
      await sleep(100);
    }
  }

  get pid(): number {
    return this.proc.pid as number;
  }

  counters(): Promise<OperatorCounters> {
    return scrapeOperator(this.metricsUrl);
  }

  /** Peak resident set size so far (VmHWM), in bytes. */
  peakRssBytes(): number {
    return procStatusKb(this.pid, "VmHWM") * 1024;
  }

  /** Sockets (TCP connections, listeners) the process holds open now. */
  openSockets(): number {
    let sockets = 0;
    for (const fd of readdirSync(`/proc/${this.pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${this.pid}/fd/${fd}`).startsWith("socket:")) sockets++;
      } catch {
        // closed meanwhile
      }
    }
    return sockets;
  }

  /** CPU time the process has used so far (utime + stime from /proc/PID/stat), in seconds. */
  cpuSeconds(): number {
    return processCpuSeconds(this.pid);
  }

  memory(): MemorySample {
    return {
      rss: procStatusKb(this.pid, "VmRSS") * 1024,
      anon: procStatusKb(this.pid, "RssAnon") * 1024,
      file: procStatusKb(this.pid, "RssFile") * 1024,
    };
  }

  logTail(lines?: number): string {
    return this.proc.logTail(lines);
  }

  hasExited(): boolean {
    return this.proc.hasExited();
  }

  stop(): Promise<void> {
    clearInterval(this.sampler);
    return this.proc.stop(15_000);
  }

  /**
   * Waits until the operator has been idle for quietMs: nothing queued, and no reconcile, Secret
   * write or ServiceAccount patch counted in that time. Resolves with the counters then.
   */
  async quiesce(quietMs: number, timeoutMs: number): Promise<OperatorCounters> {
    const deadline = Date.now() + timeoutMs;
    let last = await this.counters();
    let quietSince = Date.now();
    for (;;) {
      if (this.hasExited()) throw new Error(`the operator exited:\n${this.logTail()}`);
      await sleep(250);
      const now = await this.counters();
      const moved =
        now.reconciles !== last.reconciles ||
        now.secretCreates + now.secretUpdates !== last.secretCreates + last.secretUpdates ||
        now.serviceAccountPatches !== last.serviceAccountPatches ||
        now.queueDepth > 0;
      if (moved) quietSince = Date.now();
      last = now;
      if (Date.now() - quietSince >= quietMs) return now;
      if (Date.now() > deadline)
        throw new Error(`the operator did not go quiet within ${timeoutMs / 1000} s`);
    }
  }
}
