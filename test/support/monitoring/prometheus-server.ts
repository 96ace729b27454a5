// A real Prometheus from the tool cache on a loopback port, scraping given targets every second and
// evaluating given rule files every second, with its storage in a scratch directory.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump } from "js-yaml";
import { freePort } from "../controlplane/ports.js";
import { type ManagedProcess, startProcess } from "../controlplane/processes.js";
import { recordShown } from "../leaks/ledger.js";
import { toolPath } from "../tools.js";
import { waitFor } from "../wait.js";
import type { Labels } from "./exposition.js";

export interface ScrapeJob {
  job: string;
  /** host:port serving /metrics. */
  target: string;
  /** Target labels besides job and instance. */
  labels: Labels;
  honorLabels: boolean;
}

export interface QueryResult {
  metric: Labels;
  value: [number, string];
}

export interface PrometheusServer {
  readonly url: string;
  /** An instant query now; throws with Prometheus's error for a query it refuses. */
  query(expr: string): Promise<QueryResult[]>;
  stop(): Promise<void>;
}

/** Starts Prometheus and waits until it is ready. */
export async function startPrometheus(jobs: ScrapeJob[], ruleFiles: string[]): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), "regcred-prometheus-"));
  const config = {
    global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
    rule_files: ruleFiles,
    scrape_configs: jobs.map((j) => ({
      job_name: j.job,
      honor_labels: j.honorLabels,
      metrics_path: "/metrics",
      static_configs: [{ targets: [j.target], labels: j.labels }],
    })),
  };
  const configFile = join(dir, "prometheus.yml");
  writeFileSync(configFile, dump(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const process: ManagedProcess = startProcess(
    "prometheus",
    toolPath("prometheus"),
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    join(dir, "prometheus.log"),
  );
  const stop = async () => {
    await process.stop();
    recordShown("prometheus-log", readFileSync(process.logFile, "utf8"));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor("Prometheus to be ready", async () => (await fetch(`${url}/-/ready`)).ok, {
      timeoutMs: 60_000,
      abort: () => (process.hasExited() ? `prometheus exited:\n${process.logTail()}` : undefined),
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    async query(expr) {
      const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
      const text = await response.text();
      recordShown("prometheus-api", text);
      const body = JSON.parse(text) as { status: string; error?: string; data?: { result: QueryResult[] } };
      if (body.status !== "success") throw new Error(`Prometheus refused ${expr}: ${body.error}`);
      return body.data?.result ?? [];
    },
    stop,
  };
}
