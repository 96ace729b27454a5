// Turns every result stored for one commit into the generated section of docs/benchmarks.md and
// an SVG plot (convergence after a rotation and RSS against N, for the operator and ESO).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { EsoSizeResult } from "./eso-result.js";
import type { ClientProfile } from "./kit.js";
import { benchMallocArenas, benchNodeOptions } from "./operator-process.js";
import type {
  BaselineRun,
  Contention,
  FeaturesResult,
  IdentitiesResult,
  NewNamespacesResult,
  ProcessMemory,
  ProfileRuns,
  ScenarioName,
  ScenarioResults,
  StartupResult,
  ThroughputResult,
} from "./results.js";
import type { StoredResult } from "./results-store.js";

const targets = {
  ratio: 1.05,
  ratioAtN: 5000,
  peakRssMB: 150,
  idleRssMB: 100,
  rssAtN: 5000,
  p99Ms: 1000,
};

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const verdict = (pass: boolean) => (pass ? "✅ pass" : "❌ **miss**");
const fmt = (value: number | undefined, digits = 1) =>
  value === undefined || Number.isNaN(value) ? "–" : value.toFixed(digits);
const mb = (bytes: number | undefined) => (bytes === undefined ? "–" : `${fmt(bytes / 1e6)} MB`);
const secs = (value: number | undefined, digits = 2) =>
  value === undefined ? "–" : `${fmt(value, digits)} s`;
const num = (n: number) => n.toLocaleString("en");
const list = (values: readonly number[]) => [...new Set(values)].join(" / ");
const load = (c: Contention) =>
  `load ${c.load1}${c.foreignApiservers > 0 ? `, **${c.foreignApiservers} other kube-apiserver(s) running**` : ""}`;
const profileText = (p: ClientProfile) => `qps ${p.qps}, burst ${p.burst}, concurrency ${p.concurrency}`;

/** The stored results, by scenario and N. */
class Results {
  private readonly byScenario = new Map<string, Map<number, StoredResult>>();

  constructor(readonly stored: readonly StoredResult[]) {
    for (const s of stored) {
      const sizes = this.byScenario.get(s.scenario) ?? new Map<number, StoredResult>();
      sizes.set(s.n, s);
      this.byScenario.set(s.scenario, sizes);
    }
  }

  of<S extends ScenarioName>(scenario: S): ScenarioResults[S][] {
    return [...(this.byScenario.get(scenario)?.values() ?? [])]
      .sort((a, b) => a.n - b.n)
      .map((s) => s.result as ScenarioResults[S]);
  }

  at<S extends ScenarioName>(scenario: S, n: number): ScenarioResults[S] | undefined {
    return this.byScenario.get(scenario)?.get(n)?.result as ScenarioResults[S] | undefined;
  }

  /** Every N any per-size scenario has a result for. */
  sizes(): number[] {
    const ns = new Set<number>();
    for (const scenario of ["throughput", "new-namespaces", "startup", "eso"] as const)
      for (const r of this.of(scenario)) ns.add(r.n);
    return [...ns].sort((a, b) => a - b);
  }
}

/** The figures of one profile's runs. */
function profileFigures(runs: ProfileRuns) {
  const operator = median(runs.rotations.map((r) => r.convergenceSeconds));
  const bare = median(runs.baselines.map((b) => b.convergenceSeconds));
  const writes = runs.rotations.reduce((t, r) => t + r.apiserver.secretWrites, 0);
  const cpu = runs.rotations.reduce((t, r) => t + r.cpuSeconds, 0);
  return {
    operator,
    bare,
    ratio: operator / bare,
    providerCalls: runs.rotations.map((x) => Math.max(x.providerCalls, x.fakeEcrCalls)),
    secretWrites: runs.rotations.map((x) => x.apiserver.secretWrites),
    serviceAccountPatches: runs.rotations.map(
      (x) => x.serviceAccountPatches + x.apiserver.serviceAccountWrites,
    ),
    cpuPerWrite: writes > 0 ? cpu / writes : Number.NaN,
    peakRss: runs.memory.peakRss,
    idleRss: runs.memory.idle?.rss,
  };
}

/** The best bare-client concurrency of the ceiling sweep (median over its runs). */
function ceilingOf(result: ThroughputResult): {
  concurrency: number;
  seconds: number;
  byConcurrency: Map<number, number>;
} {
  const byConcurrency = new Map<number, number>();
  for (const c of new Set(result.ceiling.map((r) => r.concurrency)))
    byConcurrency.set(
      c,
      median(result.ceiling.filter((r) => r.concurrency === c).map((r) => r.convergenceSeconds)),
    );
  let best = { concurrency: 0, seconds: Number.POSITIVE_INFINITY };
  for (const [concurrency, seconds] of byConcurrency)
    if (seconds < best.seconds) best = { concurrency, seconds };
  return { ...best, byConcurrency };
}

const beginMarker = "<!-- bench:fan-out:begin -->";
const endMarker = "<!-- bench:fan-out:end -->";

function table(
  header: readonly string[],
  align: readonly ("l" | "r")[],
  rows: readonly string[][],
): string[] {
  return [
    `| ${header.join(" | ")} |`,
    `|${align.map((a) => (a === "r" ? "---:" : "---")).join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ];
}

function section(results: Results, svgName: string): string {
  const lines: string[] = [];
  const push = (...more: string[]) => lines.push(...more);
  const stored = results.stored;
  const first = stored[0];
  push(beginMarker);
  push(
    "<!-- Generated by `npm run bench` (bench/fan-out.ts) from bench/results/<commit>/. Everything between these markers is overwritten on the next run; notes belong outside. -->",
  );
  push("");
  if (!first) {
    push("No results are stored for this commit yet: run `npm run bench`.", endMarker);
    return lines.join("\n");
  }
  const m = first.machine;
  const dates = stored.map((s) => s.date).sort();
  const sources = [...new Set(stored.map((s) => s.machine.operatorSource))].join(", ");
  const esoVersions = [...new Set(results.of("eso").map((e) => e.version))];
  const totalMinutes = stored.reduce((t, s) => t + s.durationSeconds, 0) / 60;
  push("## Machine and versions");
  push("");
  push(
    `Measured ${dates[0]?.slice(0, 16)}Z to ${dates.at(-1)?.slice(0, 16)}Z on ${m.nproc} CPUs (${m.cpu}), ${m.memoryGiB} GiB RAM, ` +
      `Linux ${m.kernel}; Node ${m.node}; Kubernetes ${m.kubernetes} (etcd, kube-apiserver and kube-controller-manager of the ` +
      `test control plane, on the same machine as the operator and the bench); External Secrets Operator ` +
      `${esoVersions.length > 0 ? esoVersions.join(", ") : "not measured in these results"}; operator built from ${sources} ` +
      `(results key \`${first.source}\`, ${stored.length} stored result(s), ${fmt(totalMinutes)} min of measurement).`,
  );
  const sizes = results.sizes();
  const throughputs = results.of("throughput");

  push("", "## Throughput at the limit");
  if (throughputs.length === 0) push("", "_Not measured (scenario `throughput`)._");
  else {
    const lifted = throughputs[0]?.lifted.profile as ClientProfile;
    push(
      "",
      `Rotation → all N Secrets rewritten, the client limiter lifted (${profileText(lifted)}): the operator against the bare client at ` +
        "the same concurrency, and the apiserver's ceiling, the bare client at its best concurrency (operator stopped). Medians.",
      "",
    );
    push(
      ...table(
        [
          "N",
          "operator",
          `bare client (c=${lifted.concurrency})`,
          "ratio",
          "ceiling (best bare client)",
          "operator / ceiling",
          "CPU-s per Secret write",
          "provider calls / rotation",
          "Secret writes / rotation",
          "SA patches / rotation",
          "peak RSS",
          "idle RSS",
        ],
        ["r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
        throughputs.map((t) => {
          const x = profileFigures(t.lifted);
          const c = ceilingOf(t);
          return [
            num(t.n),
            secs(x.operator),
            secs(x.bare),
            fmt(x.ratio, 2),
            `${secs(c.seconds)} (c=${c.concurrency})`,
            fmt(x.operator / c.seconds, 2),
            fmt(x.cpuPerWrite * 1000, 2).concat(" ms"),
            list(x.providerCalls),
            list(x.secretWrites),
            list(x.serviceAccountPatches),
            mb(x.peakRss),
            mb(x.idleRss),
          ];
        }),
      ),
    );
    const concurrencies = [...new Set(throughputs.flatMap((t) => t.ceiling.map((c) => c.concurrency)))].sort(
      (a, b) => a - b,
    );
    push(
      "",
      "The apiserver's ceiling: the bare client, limiter lifted, at each concurrency (seconds for N Secret PUTs to be seen, and Secrets per second).",
      "",
    );
    push(
      ...table(
        ["N", ...concurrencies.map((c) => `c=${c}`), "best"],
        ["r", ...concurrencies.map(() => "r" as const), "r"],
        throughputs.map((t) => {
          const c = ceilingOf(t);
          return [
            num(t.n),
            ...concurrencies.map((k) => {
              const v = c.byConcurrency.get(k);
              return v === undefined ? "–" : `${fmt(v, 2)} s (${fmt(t.n / v, 0)}/s)`;
            }),
            `c=${c.concurrency}`,
          ];
        }),
      ),
    );
    const limited = throughputs[0]?.limited.profile as ClientProfile;
    push(
      "",
      `Second row: the client limiter of earlier runs (${profileText(limited)}); both sides are bound by it.`,
      "",
    );
    push(
      ...table(
        ["N", "operator", "bare client", "ratio", "CPU-s per Secret write", "peak RSS", "idle RSS"],
        ["r", "r", "r", "r", "r", "r", "r"],
        throughputs.map((t) => {
          const x = profileFigures(t.limited);
          return [
            num(t.n),
            secs(x.operator),
            secs(x.bare),
            fmt(x.ratio, 2),
            `${fmt(x.cpuPerWrite * 1000, 2)} ms`,
            mb(x.peakRss),
            mb(x.idleRss),
          ];
        }),
      ),
    );
  }
  push(
    "",
    `![Convergence after a rotation and RSS against N, the operator and External Secrets Operator](${svgName})`,
  );

  push("", "## Start-up and restart at scale");
  const startups = results.of("startup");
  if (startups.length === 0) push("", "_Not measured (scenario `startup`)._");
  else {
    push(
      "",
      "First start: the ClusterRegistryCredential and N namespaces exist, no Secret yet. Restart: a new process over the unchanged state. " +
        "Ready is `/readyz` answering 200 (informer caches and the referenced-Secret watch synced); settled is the last Secret or " +
        "ServiceAccount change the bench's watch saw (first start), or the operator's last reconcile before 5 s of quiet (restart).",
      "",
    );
    push(
      ...table(
        [
          "N",
          "first start: ready",
          "settled",
          "Secret creates",
          "SA patches",
          "provider calls",
          "restart: ready",
          "settled",
          "writes (apiserver)",
          "provider calls",
          "restart RSS peak / after",
        ],
        ["r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
        startups.map((s: StartupResult) => {
          const r = s.restart;
          const apiWrites =
            r.apiserver.secretWrites +
            r.apiserver.serviceAccountWrites +
            r.apiserver.credentialWrites +
            r.apiserver.eventWrites;
          return [
            num(s.n),
            secs(s.cold.readySeconds),
            secs(s.cold.settledSeconds),
            String(s.cold.secretCreates),
            String(s.cold.serviceAccountPatches),
            String(s.cold.providerCalls),
            secs(r.readySeconds),
            secs(r.settledSeconds),
            String(apiWrites),
            String(Math.max(r.providerCalls, r.fakeEcrCalls)),
            `${mb(r.memory.peakRss)} / ${mb(r.memory.idle?.rss)}`,
          ];
        }),
      ),
    );
  }

  push("", "## New namespaces");
  const news = results.of("new-namespaces");
  if (news.length === 0) push("", "_Not measured (scenario `new-namespaces`)._");
  else {
    push(
      "",
      "Namespaces created one at a time after the N-namespace setup; creation → Secret present and `default` lists it.",
      "",
    );
    push(
      ...table(
        ["N", "new namespaces", "pace", "p50", "p99", "max", "load"],
        ["r", "r", "r", "r", "r", "r", "l"],
        news.map((x: NewNamespacesResult) => [
          num(x.n),
          String(x.count),
          `${x.paceMs} ms`,
          `${x.p50Ms} ms`,
          `${x.p99Ms} ms`,
          `${x.maxMs} ms`,
          load(x.contention),
        ]),
      ),
    );
  }

  push("", "## Many identities");
  const ids = results.of("identities");
  if (ids.length === 0) push("", "_Not measured (scenario `identities`)._");
  for (const x of ids) push("", ...identitiesSection(x));

  push("", "## RSS effect of features");
  const feats = results.of("features");
  if (feats.length === 0) push("", "_Not measured (scenario `features`)._");
  for (const x of feats) push("", ...featuresSection(x));

  push("", "## External Secrets Operator beside the operator");
  push("", ...esoSection(results, sizes));

  push("", "## Targets");
  push("", ...targetsSection(results));

  push("", "## Details");
  for (const t of throughputs) {
    push("", `**N = ${num(t.n)}**`, "");
    for (const [label, runs] of [
      ["limiter lifted", t.lifted],
      ["limited", t.limited],
    ] as const) {
      for (const [i, run] of runs.rotations.entries())
        push(
          `- Rotation ${i + 1} (${label}, ${run.trigger}): ${run.convergenceSeconds} s; ${run.distinctTokens} distinct content; ` +
            `operator metrics: ${run.providerCalls} provider call(s) (fake ECR: ${run.fakeEcrCalls}), ${run.secretUpdates} Secret updates, ` +
            `${run.secretCreates} creates, ${run.serviceAccountPatches} ServiceAccount patches, ${run.cpuSeconds} CPU-s; apiserver, the ` +
            `bench's own write subtracted: ${run.apiserver.detail} (${load(run.contention)}).`,
        );
      for (const [i, run] of runs.baselines.entries())
        push(`- Bare client ${i + 1} (${label}): ${baselineText(run)}.`);
      push(`- Operator memory (${label}): ${memoryText(runs.memory)}.`);
    }
    for (const run of t.ceiling) push(`- Ceiling, c=${run.concurrency}: ${baselineText(run)}.`);
  }
  for (const s of startups)
    push(
      "",
      `**Start-up, N = ${num(s.n)}**: first process ${memoryText(s.cold.memory)}; restart: ${s.restart.reconciles} reconciles, ` +
        `${s.restart.secretWrites} Secret writes (${s.restart.secretDeletes} deletes), ${s.restart.serviceAccountPatches} ServiceAccount patches, ` +
        `${s.restart.changedSecrets} Secrets changed; apiserver: ${s.restart.apiserver.detail}; ${memoryText(s.restart.memory)}.`,
    );

  push("", "## How it is measured", "");
  push(
    [
      "- Every N gets a fresh control plane (`startControlPlane`; kube-controller-manager at --kube-api-qps=200), the CRDs, a fake ECR (SigV4-verified `GetAuthorizationToken`) and N namespaces labelled `bench.regcred.dev/fanout=true`; the ClusterRegistryCredential selects them, patches `default` and reads static keys from a Secret in `regcred-system`. Throughput, new namespaces, start-up and ESO run in that order on it; many identities and features get control planes of their own.",
      "- The operator runs as its own process: the bundle the image ships (`node " +
        benchNodeOptions +
        " dist/operator/main.mjs`; the default flags are the heap the image gives it under the chart's 256Mi limit; `BENCH_OPERATOR_MAIN` and `BENCH_NODE_OPTIONS` change them) with `--concurrency`, `--kube-api-qps` and `--kube-api-burst` of the profile, `AWS_ENDPOINT_URL_ECR` pointing at the fake and `MALLOC_ARENA_MAX=" +
        benchMallocArenas +
        "` (the image's; results stored before the image set it, such as 42e7024's, ran with glibc's default); counters from its `/metrics`, memory from `/proc/PID/status` (VmHWM for the peak, VmRSS 5 s after it went quiet for idle), CPU from `/proc/PID/stat` (utime + stime from the trigger until quiet, divided by the apiserver's Secret writes).",
      "- A rotation is a new `regcred.dev/rotate` value on the resource (every source minted afresh); convergence is the time from that patch to the bench's watch event of the last Secret with new content and a new `regcred.dev/refreshed-at`.",
      "- The bare client is client-node's `CoreV1Api` behind the operator's own `TokenBucket` (`createKubeClients`, the profile's qps and burst) replacing N Secrets of the same shape with `runPool` at the profile's concurrency, resourceVersions listed first (untimed), timed the same way to the last watch event. The ceiling sweep runs it with the operator stopped.",
      "- Writes are counted by the operator's own counters and by the apiserver's `apiserver_request_total`, the bench's own writes subtracted.",
      "- Many identities: RegistryCredentials over namespaces, each namespace its own keys Secret (an identity registered on the fake ECR under one of several accounts); the fake's tokens live a few minutes so scheduled refreshes fall into the run; the fake's calls are stamped by a 50 ms poller; the fleet-wide rotation annotates every RegistryCredential.",
      "- Features: the operator is restarted once per combination over the same namespaces (each with one Pending pod), resyncs, carries out one rotation and idles 5 s.",
    ].join("\n"),
  );
  push(
    "",
    "Reproduce (several minutes per scenario and size; needs Go for the control plane's first build; results are stored per scenario and N under `bench/results/<commit>/`, and `--resume` skips what is stored):",
    "",
  );
  const t0 = throughputs[0];
  push("```sh");
  push(
    `npm run bench -- --sizes ${sizes.join(",") || "1000,5000"}${t0 ? ` --qps ${t0.lifted.profile.qps} --burst ${t0.lifted.profile.burst} --concurrency ${t0.lifted.profile.concurrency} --limited-qps ${t0.limited.profile.qps} --limited-burst ${t0.limited.profile.burst}` : ""}`,
  );
  push(
    "npm run bench -- --scenarios identities,features --resume   # one scenario at a time, on the same commit",
  );
  push("```");
  push("", "Options: `npm run bench -- --help`.");
  push(endMarker);
  return lines.join("\n");
}

function baselineText(run: BaselineRun): string {
  return `${run.convergenceSeconds} s until the watch saw all Secrets updated at concurrency ${run.concurrency} (last PUT returned after ${run.putsSeconds} s; ${load(run.contention)})`;
}

function memoryText(p: ProcessMemory): string {
  return (
    `peak RSS (VmHWM) ${mb(p.peakRss)}, peak anonymous ${mb(p.peakAnon)}; right after start ${mb(p.ready.rss)} ` +
    `(${mb(p.ready.anon)} anonymous, ${mb(p.ready.file)} file-backed)${p.idle ? `; idle ${mb(p.idle.rss)} (${mb(p.idle.anon)} anonymous)` : ""}; at most ${p.peakSockets} sockets`
  );
}

function identitiesSection(x: IdentitiesResult): string[] {
  const r = x.refresh;
  const lifetime = x.tokenLifetimeSeconds;
  return [
    `${num(x.credentials)} RegistryCredentials in ${num(x.namespaces)} namespaces, ${num(x.identities)} identities (a keys Secret per namespace) ` +
      `in ${x.accounts} accounts; tokens live ${lifetime} s; operator at ${profileText(x.profile)}.`,
    "",
    ...table(
      ["measure", "value"],
      ["l", "r"],
      [
        ["all Secrets present after creating the resources", secs(x.initialSeconds)],
        ["provider calls for the first mints", String(x.initialProviderCalls)],
        [
          `scheduled refreshes within ${fmt(r.windowSeconds, 0)} s (one refresh round)`,
          `${r.calls} (${r.distinctIdentities} identities)`,
        ],
        [
          "refresh after the previous mint, min / median / max (fraction of the lifetime)",
          `${fmt(r.sinceMintFraction.min, 3)} / ${fmt(r.sinceMintFraction.p50, 3)} / ${fmt(r.sinceMintFraction.max, 3)} (${fmt(r.sinceMintFraction.min * lifetime, 0)}–${fmt(r.sinceMintFraction.max * lifetime, 0)} s)`,
        ],
        ["refreshes at most in one second / in ten seconds", `${r.peakPerSecond} / ${r.peakPerTenSeconds}`],
        [
          `fleet-wide rotation (${x.rotation.trigger}) → all Secrets rotated`,
          secs(x.rotation.convergenceSeconds),
        ],
        [
          "provider calls per fleet-wide rotation (fake ECR; distinct identities)",
          `${x.rotation.fakeEcrCalls} (${x.rotation.distinctIdentities}; operator counted ${x.rotation.providerCalls})`,
        ],
        ["provider calls at most in one second of the rotation", String(x.rotation.peakPerSecond)],
        ["Secret writes per fleet-wide rotation", String(x.rotation.secretWrites)],
        [
          "CPU-s per Secret write (rotation)",
          x.rotation.secretWrites > 0
            ? `${fmt((x.rotation.cpuSeconds / x.rotation.secretWrites) * 1000, 2)} ms`
            : "–",
        ],
        [
          "failed provider calls (operator's count, whole run; throttling among them)",
          String(x.failedProviderCalls),
        ],
        [
          "throttled by the fake ECR",
          x.throttledByFake === undefined ? "– (the fake exposes no count)" : String(x.throttledByFake),
        ],
        ["peak RSS / idle RSS", `${mb(x.memory.peakRss)} / ${mb(x.memory.idle?.rss)}`],
      ],
    ),
    "",
    `Refreshes per 5 s from the first one: ${r.histogram.join(" ")}.`,
  ];
}

function featuresSection(x: FeaturesResult): string[] {
  const all = x.runs.find((r) => r.name === "all");
  const delta = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? "–" : `${a - b >= 0 ? "+" : ""}${fmt((a - b) / 1e6)} MB`;
  return [
    `N = ${num(x.n)} namespaces, each with one Pending pod; one operator process per row (resync, one rotation, 5 s idle).`,
    "",
    ...table(
      ["features", "peak RSS", "idle RSS", "peak vs all on", "idle vs all on", "rotation"],
      ["l", "r", "r", "r", "r", "r"],
      x.runs.map((r) => [
        r.description,
        mb(r.memory.peakRss),
        mb(r.memory.idle?.rss),
        r === all ? "–" : delta(r.memory.peakRss, all?.memory.peakRss),
        r === all ? "–" : delta(r.memory.idle?.rss, all?.memory.idle?.rss),
        secs(r.rotationSeconds),
      ]),
    ),
    "",
    ...x.notMeasured.map((note) => `Not in the table: ${note}.`),
  ];
}

function esoSection(results: Results, sizes: readonly number[]): string[] {
  const esos = results.of("eso");
  if (esos.length === 0)
    return [
      "_Not measured: no `eso` result is stored for this commit (the ESO scenario was not run or not available)._",
    ];
  const out: string[] = [];
  for (const n of sizes) {
    const e = results.at("eso", n) as EsoSizeResult | undefined;
    if (!e) continue;
    const t = results.at("throughput", n);
    const nn = results.at("new-namespaces", n);
    const ours = t ? profileFigures(t.lifted) : undefined;
    out.push(
      `**N = ${num(n)}** (ESO ${e.version}${e.rotationTrigger ? `; ESO rotation: ${e.rotationTrigger}` : ""})`,
      "",
    );
    out.push(
      ...table(
        ["measure", "operator", "External Secrets Operator"],
        ["l", "r", "r"],
        [
          [
            "provider calls per rotation",
            ours ? list(ours.providerCalls) : "–",
            fmt(e.providerCallsPerRotation, 0),
          ],
          ["rotation → all N Secrets", secs(ours?.operator), secs(median(e.rotationSeconds))],
          [
            "Secret writes per rotation",
            ours ? list(ours.secretWrites) : "–",
            fmt(e.secretWritesPerRotation, 0),
          ],
          [
            "new namespace → Secret, p50 / p99",
            nn ? `${nn.p50Ms} / ${nn.p99Ms} ms` : "–",
            `${fmt(e.newNamespaceP50Ms, 0)} / ${fmt(e.newNamespaceP99Ms, 0)} ms`,
          ],
          ["peak RSS", mb(ours?.peakRss), e.peakRssMB === undefined ? "–" : `${fmt(e.peakRssMB)} MB`],
          ["idle RSS", mb(ours?.idleRss), e.idleRssMB === undefined ? "–" : `${fmt(e.idleRssMB)} MB`],
          [
            "CPU-s per Secret write",
            ours ? `${fmt(ours.cpuPerWrite * 1000, 2)} ms` : "–",
            e.cpuSecondsPerWrite === undefined ? "–" : `${fmt(e.cpuSecondsPerWrite * 1000, 2)} ms`,
          ],
        ],
      ),
      "",
    );
    for (const note of e.notes) out.push(`- ${note}`);
    if (e.notes.length > 0) out.push("");
  }
  return out;
}

function targetsSection(results: Results): string[] {
  const rows: string[][] = [];
  const t = results.at("throughput", targets.ratioAtN);
  if (t) {
    const x = profileFigures(t.lifted);
    rows.push([
      `convergence ≤ ${targets.ratio} × bare client, limiter lifted, N = ${num(targets.ratioAtN)}`,
      `${fmt(x.ratio, 2)} ${verdict(x.ratio <= targets.ratio)}`,
    ]);
    rows.push([
      `peak RSS ≤ ${targets.peakRssMB} MB at N = ${num(targets.rssAtN)}`,
      `${mb(x.peakRss)} ${verdict(x.peakRss / 1e6 <= targets.peakRssMB)}`,
    ]);
    rows.push([
      `idle RSS ≤ ${targets.idleRssMB} MB at N = ${num(targets.rssAtN)}`,
      `${mb(x.idleRss)} ${verdict((x.idleRss ?? Number.POSITIVE_INFINITY) / 1e6 <= targets.idleRssMB)}`,
    ]);
  } else rows.push([`throughput and memory targets at N = ${num(targets.ratioAtN)}`, "not measured"]);
  for (const r of results.of("throughput")) {
    const x = profileFigures(r.lifted);
    rows.push([
      `1 provider call and N Secret writes per rotation, N = ${num(r.n)}`,
      `${list(x.providerCalls)} / ${list(x.secretWrites)} ${verdict(x.providerCalls.every((c) => c === 1) && x.secretWrites.every((w) => w === r.n))}`,
    ]);
  }
  for (const nn of results.of("new-namespaces"))
    rows.push([
      `new-namespace p99 ≤ ${targets.p99Ms / 1000} s, N = ${num(nn.n)}`,
      `${nn.p99Ms} ms ${verdict(nn.p99Ms <= targets.p99Ms)}`,
    ]);
  for (const s of results.of("startup")) {
    const r = s.restart;
    const writes =
      r.apiserver.secretWrites +
      r.apiserver.serviceAccountWrites +
      r.apiserver.credentialWrites +
      r.apiserver.eventWrites;
    const calls = Math.max(r.providerCalls, r.fakeEcrCalls);
    rows.push([
      `0 writes and 0 provider calls on restart, N = ${num(s.n)}`,
      `${writes} / ${calls} ${verdict(writes === 0 && calls === 0)}`,
    ]);
  }
  for (const x of results.of("identities"))
    rows.push([
      `provider calls per fleet-wide rotation = identities (${x.identities})`,
      `${x.rotation.fakeEcrCalls} ${verdict(x.rotation.fakeEcrCalls === x.identities)}`,
    ]);
  return table(["target", "measured"], ["l", "l"], rows);
}

/** Writes the Markdown (replacing only the generated section when the file exists) and the SVG. */
export function writeReport(stored: readonly StoredResult[], markdownPath: string): string[] {
  const results = new Results(stored);
  mkdirSync(dirname(markdownPath), { recursive: true });
  const svgPath = join(dirname(markdownPath), `${basename(markdownPath, ".md")}-fanout.svg`);
  writeFileSync(svgPath, svg(results));
  const generated = section(results, basename(svgPath));
  let markdown: string;
  if (existsSync(markdownPath)) {
    const current = readFileSync(markdownPath, "utf8");
    const begin = current.indexOf(beginMarker);
    const end = current.indexOf(endMarker);
    markdown =
      begin >= 0 && end > begin
        ? `${current.slice(0, begin)}${generated}${current.slice(end + endMarker.length)}`
        : `${current.trimEnd()}\n\n${generated}\n`;
  } else {
    markdown = `# Benchmarks\n\n${generated}\n`;
  }
  writeFileSync(markdownPath, markdown);
  return [markdownPath, svgPath];
}

// --- SVG ---------------------------------------------------------------------------------------

const xmlText = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10])
    if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

interface Series {
  name: string;
  color: string;
  dash?: string;
  points: { x: number; y: number; label: string }[];
}

function panel(
  origin: { x: number; y: number },
  title: string,
  yLabel: string,
  xs: readonly number[],
  series: readonly Series[],
  limit?: { y: number; label: string },
): string {
  const width = 380;
  const height = 240;
  const left = origin.x + 56;
  const top = origin.y + 30;
  const plotW = width - 70;
  const plotH = height - 70;
  const xMax = Math.max(...xs) * 1.1;
  const yMax = niceMax(
    Math.max(...series.flatMap((s) => s.points.map((p) => p.y)), (limit?.y ?? 0) * 1.05) * 1.15,
  );
  const px = (x: number) => left + (x / xMax) * plotW;
  const py = (y: number) => top + plotH - (y / yMax) * plotH;
  const out: string[] = [];
  out.push(
    `<text x="${origin.x + width / 2}" y="${origin.y + 16}" text-anchor="middle" font-weight="bold">${xmlText(title)}</text>`,
  );
  for (let i = 0; i <= 5; i++) {
    const y = (yMax / 5) * i;
    out.push(`<line x1="${left}" y1="${py(y)}" x2="${left + plotW}" y2="${py(y)}" stroke="#e5e5e5"/>`);
    out.push(
      `<text x="${left - 6}" y="${py(y) + 4}" text-anchor="end" font-size="11">${Number(y.toPrecision(3))}</text>`,
    );
  }
  out.push(`<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#333"/>`);
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#333"/>`);
  for (const x of xs) {
    out.push(`<line x1="${px(x)}" y1="${top + plotH}" x2="${px(x)}" y2="${top + plotH + 4}" stroke="#333"/>`);
    out.push(
      `<text x="${px(x)}" y="${top + plotH + 17}" text-anchor="middle" font-size="11">${x.toLocaleString("en")}</text>`,
    );
  }
  out.push(
    `<text x="${left + plotW / 2}" y="${top + plotH + 34}" text-anchor="middle" font-size="12">namespaces (N)</text>`,
  );
  out.push(
    `<text x="${origin.x + 14}" y="${top + plotH / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 ${origin.x + 14} ${top + plotH / 2})">${xmlText(yLabel)}</text>`,
  );
  if (limit) {
    out.push(
      `<line x1="${left}" y1="${py(limit.y)}" x2="${left + plotW}" y2="${py(limit.y)}" stroke="#c0392b" stroke-dasharray="6 4"/>`,
    );
    out.push(
      `<text x="${left + plotW - 4}" y="${py(limit.y) - 5}" text-anchor="end" font-size="11" fill="#c0392b">${xmlText(limit.label)}</text>`,
    );
  }
  for (const [index, s] of series.entries()) {
    const path = s.points
      .map((p, i) => `${i === 0 ? "M" : "L"}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`)
      .join(" ");
    out.push(
      `<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`,
    );
    for (const p of s.points) {
      out.push(`<circle cx="${px(p.x)}" cy="${py(p.y)}" r="3.5" fill="${s.color}"/>`);
      // The higher of the points at this x is labelled above, the others below.
      const highest = Math.max(...series.flatMap((o) => o.points.filter((q) => q.x === p.x).map((q) => q.y)));
      const dy =
        p.y >= highest &&
        (index === 0 || series.length === 1 || p.y > (series[0]?.points.find((q) => q.x === p.x)?.y ?? 0))
          ? -8
          : 16;
      out.push(
        `<text x="${px(p.x)}" y="${py(p.y) + dy}" text-anchor="middle" font-size="11" fill="${s.color}">${xmlText(p.label)}</text>`,
      );
    }
    const ly = top + 8 + index * 16;
    out.push(
      `<line x1="${left + 10}" y1="${ly}" x2="${left + 30}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`,
    );
    out.push(`<text x="${left + 35}" y="${ly + 4}" font-size="11">${xmlText(s.name)}</text>`);
  }
  return out.join("\n");
}

function svg(results: Results): string {
  const throughputs = results.of("throughput");
  const esos = results.of("eso");
  const xs = results.sizes();
  const point = (n: number, y: number | undefined, unit: string, digits = 1) =>
    y === undefined || Number.isNaN(y) ? [] : [{ x: n, y, label: `${y.toFixed(digits)}${unit}` }];
  const lifted = throughputs.map((t) => ({ n: t.n, x: profileFigures(t.lifted), c: ceilingOf(t) }));
  const nonEmpty = (series: Series[]) => series.filter((s) => s.points.length > 0);
  const left = panel(
    { x: 10, y: 10 },
    "Rotation: all N Secrets rewritten",
    "seconds",
    xs.length > 0 ? xs : [1],
    nonEmpty([
      { name: "operator", color: "#1f77b4", points: lifted.flatMap((r) => point(r.n, r.x.operator, " s")) },
      {
        name: "bare client",
        color: "#7f7f7f",
        dash: "5 3",
        points: lifted.flatMap((r) => point(r.n, r.x.bare, " s")),
      },
      {
        name: "apiserver ceiling",
        color: "#bcbd22",
        dash: "2 3",
        points: lifted.flatMap((r) => point(r.n, r.c.seconds, " s")),
      },
      {
        name: "ESO",
        color: "#d62728",
        points: esos.flatMap((e) => point(e.n, median(e.rotationSeconds), " s")),
      },
    ]),
  );
  const right = panel(
    { x: 410, y: 10 },
    "RSS",
    "MB",
    xs.length > 0 ? xs : [1],
    nonEmpty([
      {
        name: "operator peak",
        color: "#2ca02c",
        points: lifted.flatMap((r) => point(r.n, r.x.peakRss / 1e6, " MB", 0)),
      },
      {
        name: "operator idle",
        color: "#98df8a",
        dash: "5 3",
        points: lifted.flatMap((r) =>
          point(r.n, r.x.idleRss === undefined ? undefined : r.x.idleRss / 1e6, " MB", 0),
        ),
      },
      { name: "ESO peak", color: "#d62728", points: esos.flatMap((e) => point(e.n, e.peakRssMB, " MB", 0)) },
      {
        name: "ESO idle",
        color: "#ff9896",
        dash: "5 3",
        points: esos.flatMap((e) => point(e.n, e.idleRssMB, " MB", 0)),
      },
    ]),
    { y: targets.peakRssMB, label: `peak target ${targets.peakRssMB} MB at ${num(targets.rssAtN)}` },
  );
  const first = results.stored[0];
  const profile = throughputs[0]?.lifted.profile;
  const caption = first
    ? `${profile ? `${profileText(profile)} · ` : ""}${first.machine.nproc} CPUs, ${first.machine.memoryGiB} GiB · Node ${first.machine.node} · Kubernetes ${first.machine.kubernetes} · ${first.date.slice(0, 10)}`
    : "no results";
  return `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="290" viewBox="0 0 800 290" font-family="sans-serif" font-size="12">
<title>Benchmark: rotation time (operator, bare client, apiserver ceiling, ESO) and RSS (operator, ESO) against N</title>
<rect width="800" height="290" fill="#fff"/>
${left}
${right}
<text x="400" y="284" text-anchor="middle" font-size="10" fill="#555">${xmlText(caption)}</text>
</svg>
`;
}
