// What every part of the fan-out benchmark shares: its names, logging, polling and retry helpers.

import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import type { V1Secret } from "@kubernetes/client-node";
import { statusCode } from "../../src/kube/errors.js";
import type { FakeEcrServer } from "../../test/fakes/ecr/fake-ecr-server.js";
import { onTerminationSignal } from "../../test/support/controlplane/processes.js";
import { type OperatorProcess, sleep } from "./operator-process.js";
import type { ApiserverWrites } from "./prometheus.js";
import { describeWrites, writesOn } from "./prometheus.js";
import type { Contention } from "./results.js";
import type { WatchTracker } from "./watch-tracker.js";

const started = performance.now();
export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export function log(line: string): void {
  const elapsed = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  console.log(`[bench +${elapsed}s] ${line}`);
}

export const operatorNamespace = "regcred-system";
export const crcName = "bench";
export const pullSecretName = "bench-pull";
export const baselineSecretName = "bench-baseline";
export const keysSecretName = "bench-aws-keys";
export const targetLabel = "bench.regcred.dev/fanout";
export const managedSelector = "app.kubernetes.io/managed-by=registry-credential-operator";
export const baselineManagedBy = "regcred-bench-baseline";
export const refreshedAtKey = "regcred.dev/refreshed-at";
export const keys = {
  accessKeyId: "AKIABENCHFANOUT00001",
  secretAccessKey: "bench-fan-out-secret-key/0123456789",
};

/** Processes and servers to stop on Ctrl-C (the control plane registers its own cleanup). */
export const live: { operator?: OperatorProcess; ecr?: FakeEcrServer } = {};
onTerminationSignal(async () => {
  log("interrupted: stopping the operator and the fake ECR");
  await live.operator?.stop();
  await live.ecr?.close();
});

export interface SecretSummary {
  refreshedAt: string;
  digest: string;
}

export const summarizeSecret = (secret: V1Secret): SecretSummary => ({
  refreshedAt: secret.metadata?.annotations?.[refreshedAtKey] ?? "",
  digest: createHash("sha256")
    .update(secret.data?.[".dockerconfigjson"] ?? "")
    .digest("hex")
    .slice(0, 16),
});

/** Runs request, retrying 429, 5xx and network errors up to five times; 409 is returned as "exists". */
export async function politely<T>(request: () => Promise<T>): Promise<T | "exists"> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      const code = statusCode(error);
      if (code === 409) return "exists";
      const retriable = code === undefined || code === 429 || code >= 500;
      if (!retriable || attempt >= 5) throw error;
      await sleep(200 * 2 ** attempt);
    }
  }
}

/** Polls check every intervalMs, printing its progress every few seconds; throws after timeoutMs. */
export async function waitUntil(
  what: string,
  check: () => { done: boolean; progress: string },
  timeoutMs: number,
  abort: () => string | undefined = () => undefined,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let lastReport = performance.now();
  for (;;) {
    const { done, progress } = check();
    if (done) return;
    const reason = abort();
    if (reason) throw new Error(`${what}: ${reason}`);
    if (performance.now() > deadline)
      throw new Error(`timed out after ${(timeoutMs / 1000).toFixed(0)} s waiting for ${what} (${progress})`);
    if (performance.now() - lastReport >= 3000) {
      lastReport = performance.now();
      log(`  … ${what}: ${progress}`);
    }
    await sleep(50);
  }
}

/**
 * The 1-minute load average, and how many kube-apiservers other than this run's are running on the
 * machine (other people's test runs compete for the same CPUs).
 */
export function contention(ownDir: string): Contention {
  let foreign = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cmdline.includes("kube-apiserver\0") && !cmdline.includes(ownDir)) foreign++;
    } catch {
      // the process exited
    }
  }
  return { load1: Math.round((loadavg()[0] ?? 0) * 100) / 100, foreignApiservers: foreign };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export const pad = (i: number, width: number) => String(i).padStart(width, "0");
export const seconds = (ms: number) => Math.round(ms) / 1000;

/** The same docker config with every password (and auth) replaced by random text of the same length. */
export function freshDockerConfig(template: string): string {
  const config = JSON.parse(template) as { auths: Record<string, { username: string; password: string }> };
  for (const entry of Object.values(config.auths)) {
    const password = randomBytes(entry.password.length).toString("base64url").slice(0, entry.password.length);
    Object.assign(entry, {
      password,
      auth: Buffer.from(`${entry.username}:${password}`).toString("base64"),
    });
  }
  return JSON.stringify(config);
}

export function subtractOwn(writes: ApiserverWrites, key: string, count: number): void {
  const left = (writes.get(key) ?? 0) - count;
  if (left === 0) writes.delete(key);
  else writes.set(key, left);
}

export function maxContention(a: Contention, b: Contention): Contention {
  return {
    load1: Math.max(a.load1, b.load1),
    foreignApiservers: Math.max(a.foreignApiservers, b.foreignApiservers),
  };
}

const relevantResource = (resource: string) =>
  /^(secrets|serviceaccounts|clusterregistrycredentials|events)(\/|$)/.test(resource);

/** The commit the operator was built from, and whether src/ had uncommitted changes. */
export function operatorSource(): string {
  try {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: repoRoot, encoding: "utf8" }).trim();
    const commit = git("rev-parse", "--short", "HEAD");
    return git("status", "--porcelain", "--", "src") ? `${commit} + uncommitted changes in src/` : commit;
  } catch {
    return "unknown (not a git checkout)";
  }
}

/** Namespaces whose tracked Secret differs (content and refreshed-at) from `old`; and the last change. */
export function changedSecrets(
  tracker: WatchTracker<SecretSummary>,
  names: readonly string[],
  old: Map<string, SecretSummary | undefined>,
): { count: number; lastAt: number; values: Set<string> } {
  let count = 0;
  let lastAt = 0;
  const values = new Set<string>();
  for (const ns of names) {
    const entry = tracker.entries.get(ns);
    const before = old.get(ns);
    if (entry && entry.value.digest !== before?.digest && entry.value.refreshedAt !== before?.refreshedAt) {
      count++;
      lastAt = Math.max(lastAt, entry.at);
      values.add(entry.value.digest);
    }
  }
  return { count, lastAt, values };
}

/** The client limits the operator (and the bare client beside it) runs with. */
export interface ClientProfile {
  qps: number;
  burst: number;
  concurrency: number;
}

/** The benchmark's command-line options. */
export interface Options {
  scenarios: string[];
  resume: boolean;
  sizes: number[];
  /** The headline: limiter lifted (qps and burst so high a request never waits). */
  lifted: ClientProfile;
  /** The second row: the client limiter of earlier runs. */
  limited: ClientProfile;
  /** Concurrencies of the bare client's sweep for the apiserver's ceiling. */
  ceilingConcurrencies: number[];
  repeats: number;
  newNamespaces: number;
  paceMs: number;
  identities: {
    namespaces: number;
    identities: number;
    credentials: number;
    accounts: number;
    lifetimeSeconds: number;
  };
  featuresN: number;
  output: string;
  logLevel: string;
  keepLogs: boolean;
}

/** What the apiserver was asked to write, by resource, from a scrape delta. */
export function apiserverWriteSummary(api: ApiserverWrites) {
  return {
    secretWrites: writesOn(api, "secrets"),
    serviceAccountWrites: writesOn(api, "serviceaccounts"),
    credentialWrites: writesOn(api, "clusterregistrycredentials"),
    eventWrites: writesOn(api, "events"),
    detail: describeWrites(api, relevantResource),
  };
}
