// The ESO controller as its own process, in a private mount namespace whose /etc/hosts sends the
// ECR API host to the TLS front (see ecr-front.ts); sampled through /proc like the operator.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../../test/support/controlplane/ports.js";
import { type ManagedProcess, startProcess } from "../../test/support/controlplane/processes.js";
import { processCpuSeconds, procStatusKb, sleep } from "../support/proc.js";
import type { EcrFront } from "./ecr-front.js";

export { sleep } from "../support/proc.js";

export interface EsoSettings {
  binary: string;
  kubeconfigPath: string;
  front: EcrFront;
  /** Keys for the controller's own credential chain (AWS_ACCESS_KEY_ID, …); none when the generator reads a Secret. */
  environmentKeys?: { accessKeyId: string; secretAccessKey: string };
  region: string;
  concurrent: number;
  qps: number;
  burst: number;
  logDir: string;
}

/** Counters of the controller-runtime metrics ESO serves. */
export interface EsoCounters {
  reconciles: number;
  queueDepth: number;
}

/** The controllers whose workers must have started before ESO counts as ready. */
const readyControllers = ["ExternalSecret", "ClusterExternalSecret"];

export class EsoProcess {
  readyRssBytes = 0;

  private constructor(
    private readonly proc: ManagedProcess,
    private readonly metricsUrl: string,
  ) {}

  /**
   * Starts ESO with only its core controllers' flags (no webhook, no cert controller: those are
   * separate subcommands) and resolves once /metrics answers and the ExternalSecret and
   * ClusterExternalSecret workers run. Throws with the log tail if it exits or is not ready in 120 s.
   */
  static async start(settings: EsoSettings, name: string): Promise<EsoProcess> {
    const port = await freePort();
    const env: Record<string, string | undefined> = {
      KUBECONFIG: settings.kubeconfigPath,
      SSL_CERT_FILE: settings.front.caFile,
      SSL_CERT_DIR: settings.front.caDir,
      AWS_CA_BUNDLE: settings.front.caFile,
      AWS_REGION: settings.region,
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_ACCESS_KEY_ID: settings.environmentKeys?.accessKeyId,
      AWS_SECRET_ACCESS_KEY: settings.environmentKeys?.secretAccessKey,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_SDK_LOAD_CONFIG: undefined,
    };
    const args = [
      "--metrics-addr",
      `127.0.0.1:${port}`,
      "--concurrent",
      String(settings.concurrent),
      "--client-qps",
      String(settings.qps),
      "--client-burst",
      String(settings.burst),
      "--enable-leader-election=false",
      "--loglevel",
      "info",
    ];
    // startProcess hands this process's environment on; the keys go there, not on a command line.
    const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
    setEnvironment(env);
    let proc: ManagedProcess;
    try {
      // unshare(1) and sh exec in place, so the pid is ESO's own.
      proc = startProcess(
        name,
        "unshare",
        [
          "--mount",
          "--propagation",
          "private",
          "--",
          "sh",
          "-c",
          'mount --bind "$0" /etc/hosts && exec "$@"',
          settings.front.hostsFile,
          settings.binary,
          ...args,
        ],
        join(settings.logDir, `${name}.log`),
      );
    } finally {
      setEnvironment(saved);
    }
    const eso = new EsoProcess(proc, `http://127.0.0.1:${port}/metrics`);
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (proc.hasExited()) throw new Error(`${name} exited early:\n${proc.logTail()}`);
      if (eso.workersStarted() && (await eso.counters().catch(() => undefined))) {
        eso.readyRssBytes = eso.rssBytes();
        return eso;
      }
      if (Date.now() > deadline) {
        await proc.stop();
        throw new Error(`${name} was not ready after 120 s:\n${proc.logTail()}`);
      }
      await sleep(200);
    }
  }

  private workersStarted(): boolean {
    const log = readLog(this.proc.logFile);
    return readyControllers.every((kind) =>
      new RegExp(`"Starting workers".*"controllerKind":"${kind}"`).test(log),
    );
  }

  get pid(): number {
    return this.proc.pid as number;
  }

  hasExited(): boolean {
    return this.proc.hasExited();
  }

  logTail(lines?: number): string {
    return this.proc.logTail(lines);
  }

  /** ESO's logged errors, counted by message: "48× controller caches … not in sync". ESO logs no credential values. */
  errorSummary(): string[] {
    const counts = new Map<string, number>();
    for (const line of readLog(this.proc.logFile).split("\n")) {
      if (!line.includes('"level":"error"')) continue;
      let message: string;
      try {
        const entry = JSON.parse(line) as { msg?: string; error?: string };
        message = (entry.error ?? entry.msg ?? "").split("\n")[0]?.slice(0, 200) ?? "";
      } catch {
        message = line.slice(0, 200);
      }
      counts.set(message, (counts.get(message) ?? 0) + 1);
    }
    return [...counts].sort((a, b) => b[1] - a[1]).map(([message, count]) => `${count}× ${message}`);
  }

  peakRssBytes(): number {
    return procStatusKb(this.pid, "VmHWM") * 1024;
  }

  rssBytes(): number {
    return procStatusKb(this.pid, "VmRSS") * 1024;
  }

  /** utime + stime of the process so far, in seconds. */
  cpuSeconds(): number {
    return processCpuSeconds(this.pid);
  }

  async counters(): Promise<EsoCounters> {
    const response = await fetch(this.metricsUrl, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`GET ${this.metricsUrl}: HTTP ${response.status}`);
    const text = await response.text();
    return {
      reconciles: sumMetric(text, "controller_runtime_reconcile_total"),
      queueDepth: sumMetric(text, "workqueue_depth"),
    };
  }

  /** Resolves once no reconcile ran and nothing was queued for quietMs; throws after timeoutMs. */
  async quiesce(quietMs: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = await this.counters();
    let quietSince = Date.now();
    for (;;) {
      if (this.hasExited()) throw new Error(`ESO exited:\n${this.logTail()}`);
      await sleep(250);
      const now = await this.counters();
      if (now.reconciles !== last.reconciles || now.queueDepth > 0) quietSince = Date.now();
      last = now;
      if (Date.now() - quietSince >= quietMs) return;
      if (Date.now() > deadline) throw new Error(`ESO did not go quiet within ${timeoutMs / 1000} s`);
    }
  }

  stop(): Promise<void> {
    return this.proc.stop(15_000);
  }
}

function setEnvironment(values: Record<string, string | undefined>): void {
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
}

function readLog(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** Sum of every sample of a metric in Prometheus text format. */
function sumMetric(text: string, name: string): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name) || (line[name.length] !== "{" && line[name.length] !== " ")) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) total += value;
  }
  return total;
}
