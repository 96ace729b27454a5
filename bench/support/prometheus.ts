// A minimal reader of the Prometheus text exposition format: enough to sum counters by label.
import { httpsGet, type TlsClientOptions } from "../../test/support/controlplane/http.js";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the samples of the metrics whose names start with one of `prefixes` (all when empty). */
function parseSamples(text: string, prefixes: readonly string[] = []): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    if (prefixes.length > 0 && !prefixes.some((p) => line.startsWith(p))) continue;
    const match = sampleLine.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(labelPair)) labels[pair[1] as string] = pair[2] as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sum of the samples named `name` whose labels include every entry of `labels`. */
function sum(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}

/** The operator's own counters, as the bench reads them from its /metrics endpoint. */
export interface OperatorCounters {
  secretCreates: number;
  secretUpdates: number;
  secretDeletes: number;
  serviceAccountPatches: number;
  providerCalls: number;
  /** Provider calls that failed (throttling among them). */
  providerFailures: number;
  reconciles: number;
  queueDepth: number;
}

export async function scrapeOperator(metricsUrl: string): Promise<OperatorCounters> {
  const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${metricsUrl}: HTTP ${response.status}`);
  const samples = parseSamples(await response.text(), ["regcred_"]);
  return {
    secretCreates: sum(samples, "regcred_secret_writes_total", { operation: "create" }),
    secretUpdates: sum(samples, "regcred_secret_writes_total", { operation: "update" }),
    secretDeletes:
      sum(samples, "regcred_secret_writes_total", { operation: "delete" }) +
      sum(samples, "regcred_secret_writes_total", { operation: "release" }),
    serviceAccountPatches: sum(samples, "regcred_serviceaccount_patches_total"),
    providerCalls: sum(samples, "regcred_provider_calls_total"),
    providerFailures: sum(samples, "regcred_provider_calls_total", { outcome: "error" }),
    reconciles: sum(samples, "regcred_reconcile_duration_seconds_count"),
    queueDepth: sum(samples, "regcred_workqueue_depth"),
  };
}

export function counterDelta(after: OperatorCounters, before: OperatorCounters): OperatorCounters {
  return {
    secretCreates: after.secretCreates - before.secretCreates,
    secretUpdates: after.secretUpdates - before.secretUpdates,
    secretDeletes: after.secretDeletes - before.secretDeletes,
    serviceAccountPatches: after.serviceAccountPatches - before.serviceAccountPatches,
    providerCalls: after.providerCalls - before.providerCalls,
    providerFailures: after.providerFailures - before.providerFailures,
    reconciles: after.reconciles - before.reconciles,
    queueDepth: after.queueDepth,
  };
}

const mutatingVerbs = new Set(["POST", "PUT", "PATCH", "DELETE", "DELETECOLLECTION", "APPLY"]);

/** Mutating requests the apiserver has completed, keyed "VERB resource[/subresource] code". */
export type ApiserverWrites = Map<string, number>;

/** Reads apiserver_request_total from the apiserver and keeps its mutating requests. */
export async function scrapeApiserverWrites(server: string, tls: TlsClientOptions): Promise<ApiserverWrites> {
  const response = await httpsGet(`${server}/metrics`, tls, 30_000);
  if (response.status !== 200) throw new Error(`GET ${server}/metrics: HTTP ${response.status}`);
  const writes: ApiserverWrites = new Map();
  for (const s of parseSamples(response.body, ["apiserver_request_total{"])) {
    const verb = s.labels.verb ?? "";
    if (!mutatingVerbs.has(verb)) continue;
    const resource = s.labels.subresource
      ? `${s.labels.resource}/${s.labels.subresource}`
      : (s.labels.resource ?? "");
    const key = `${verb} ${resource} ${s.labels.code ?? ""}`;
    writes.set(key, (writes.get(key) ?? 0) + s.value);
  }
  return writes;
}

/** Requests in `after` not yet in `before`, without zero entries. */
export function writesDelta(after: ApiserverWrites, before: ApiserverWrites): ApiserverWrites {
  const delta: ApiserverWrites = new Map();
  for (const [key, value] of after) {
    const d = value - (before.get(key) ?? 0);
    if (d !== 0) delta.set(key, d);
  }
  return delta;
}

/** Sum of the requests in `writes` on `resource` (with or without subresource), optionally of one verb. */
export function writesOn(writes: ApiserverWrites, resource: string, verb?: string): number {
  let total = 0;
  for (const [key, value] of writes) {
    const [v, r] = key.split(" ") as [string, string];
    if ((r === resource || r.startsWith(`${resource}/`)) && (verb === undefined || v === verb))
      total += value;
  }
  return total;
}

/** "PUT secrets 200: 5000, PATCH clusterregistrycredentials/status 200: 1" */
export function describeWrites(writes: ApiserverWrites, relevant: (resource: string) => boolean): string {
  const entries = [...writes]
    .filter(([key]) => relevant(key.split(" ")[1] as string))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}: ${value}`);
  return entries.length > 0 ? entries.join(", ") : "none";
}
