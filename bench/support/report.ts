// Turns the fan-out results into the Markdown section of docs/benchmarks.md and an SVG plot.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export interface Machine {
  nproc: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  kernel: string;
  kubernetes: string;
  date: string;
  /** The commit dist/ was built from (and whether src/ had uncommitted changes). */
  operatorSource: string;
}

/** Writes seen by the apiserver (apiserver_request_total), the bench's own writes subtracted. */
interface ApiserverWriteCounts {
  secretWrites: number;
  serviceAccountWrites: number;
  credentialWrites: number;
  eventWrites: number;
  /** Every mutating request on those resources, as "VERB resource code: count". */
  detail: string;
}

/** What else ran on the machine during a measurement (the worse of its start and end). */
export interface Contention {
  /** 1-minute load average. */
  load1: number;
  /** kube-apiservers on the machine other than the benchmark's own (other test runs). */
  foreignApiservers: number;
}

export interface RotationRun {
  trigger: string;
  contention: Contention;
  convergenceSeconds: number;
  /** Distinct .dockerconfigjson contents among the rewritten Secrets (1 = one mint everywhere). */
  distinctTokens: number;
  providerCalls: number;
  fakeEcrCalls: number;
  secretUpdates: number;
  secretCreates: number;
  serviceAccountPatches: number;
  apiserver: ApiserverWriteCounts;
}

export interface BaselineRun {
  /** Until the bench's watch saw all N Secrets updated (as for the operator). */
  convergenceSeconds: number;
  /** Until the last PUT returned. */
  putsSeconds: number;
  contention: Contention;
}

export interface SizeResult {
  n: number;
  kubernetesVersion: string;
  namespacesSeconds: number;
  initialFanOutSeconds: number;
  initialWrites: { secretCreates: number; serviceAccountPatches: number; providerCalls: number };
  keysSecretAloneRotates: boolean;
  rotations: RotationRun[];
  baselines: BaselineRun[];
  newNamespaces: {
    count: number;
    paceMs: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    contention: Contention;
  };
  resync: {
    readySeconds: number;
    settledSeconds: number;
    reconciles: number;
    /** Creates, updates and deletes. */
    secretWrites: number;
    secretDeletes: number;
    serviceAccountPatches: number;
    providerCalls: number;
    fakeEcrCalls: number;
    changedSecrets: number;
    apiserver: ApiserverWriteCounts;
  };
  memory: { first: ProcessMemory; restarted: ProcessMemory };
}

/** Bytes. */
export interface ProcessMemory {
  /** VmHWM: the peak resident set size of the process. */
  peakRss: number;
  /** Largest anonymous RSS seen by a 200 ms sampler (heap and other non-file memory). */
  peakAnon: number;
  /** Right after /readyz first answered 200: caches synced, nothing reconciled yet. */
  ready: { rss: number; anon: number; file: number };
  /** Most sockets open at once (a 200 ms sampler over /proc/PID/fd). */
  peakSockets: number;
}

export interface BenchResults {
  machine: Machine;
  settings: {
    qps: number;
    burst: number;
    concurrency: number;
    repeats: number;
    newNamespaces: number;
    paceMs: number;
  };
  sizes: SizeResult[];
  durationSeconds: number;
}

const targets = {
  ratio: 1.3,
  rssMB: 150,
  rssAtN: 5000,
  p99Ms: 1000,
  providerCalls: 1,
  resyncWrites: 0,
};

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The figures the table and the targets use, for one size. */
function summarize(size: SizeResult) {
  const operator = median(size.rotations.map((r) => r.convergenceSeconds));
  const baseline = median(size.baselines.map((b) => b.convergenceSeconds));
  const peakRssMB = Math.max(size.memory.first.peakRss, size.memory.restarted.peakRss) / 1e6;
  const r = size.resync;
  // As the apiserver saw them (every mutating request, failed ones included); the operator's own
  // counters are in the details.
  const resyncWrites =
    r.apiserver.secretWrites +
    r.apiserver.serviceAccountWrites +
    r.apiserver.credentialWrites +
    r.apiserver.eventWrites;
  return {
    operator,
    baseline,
    ratio: operator / baseline,
    providerCalls: size.rotations.map((x) => Math.max(x.providerCalls, x.fakeEcrCalls)),
    secretWrites: size.rotations.map((x) => x.apiserver.secretWrites),
    serviceAccountPatches: size.rotations.map(
      (x) => x.serviceAccountPatches + x.apiserver.serviceAccountWrites,
    ),
    peakRssMB,
    resyncWrites,
    resyncProviderCalls: Math.max(r.providerCalls, r.fakeEcrCalls),
  };
}

const verdict = (pass: boolean) => (pass ? "✅ pass" : "❌ **miss**");
const fmt = (value: number, digits = 1) => value.toFixed(digits);
const list = (values: readonly number[]) => [...new Set(values)].join(" / ");
const load = (c: Contention) =>
  `load ${c.load1}${c.foreignApiservers > 0 ? `, **${c.foreignApiservers} other kube-apiserver(s) running**` : ""}`;

const beginMarker = "<!-- bench:fan-out:begin -->";
const endMarker = "<!-- bench:fan-out:end -->";

function section(results: BenchResults, svgName: string): string {
  const { machine: m, settings: s } = results;
  const rows = results.sizes.map((size) => ({ size, x: summarize(size) }));
  const lines: string[] = [];
  lines.push(beginMarker);
  lines.push(
    "<!-- Generated by `npm run bench` (bench/fan-out.ts). Everything between these markers is overwritten on the next run; notes belong outside. -->",
  );
  lines.push("");
  lines.push("## Fan-out: one ClusterRegistryCredential, one identity, N namespaces");
  lines.push("");
  lines.push(
    `Measured ${m.date.slice(0, 10)} (${m.date}) on ${m.nproc} CPUs (${m.cpu}), ${m.memoryGiB} GiB RAM, Linux ${m.kernel}, ` +
      `Node ${m.node}, Kubernetes ${m.kubernetes} (etcd, kube-apiserver and kube-controller-manager of the test control plane, ` +
      `on the same machine as the operator and the bench); operator built from ${m.operatorSource}. Operator and baseline both ran with client qps ${s.qps}, ` +
      `burst ${s.burst}, concurrency ${s.concurrency}. ${s.repeats} forced rotation(s) and ${s.repeats} baseline run(s) per N ` +
      `(medians shown); whole run ${fmt(results.durationSeconds / 60)} min.`,
  );
  lines.push("");
  lines.push(
    "| N | rotation → all N Secrets updated (operator) | bare-client baseline | ratio | provider calls / rotation | Secret writes / rotation | SA patches / rotation | operator peak RSS | new namespace → usable, p50 | p99 | writes on no-change restart |",
  );
  lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const { size, x } of rows) {
    lines.push(
      `| ${size.n.toLocaleString("en")} | ${fmt(x.operator, 2)} s | ${fmt(x.baseline, 2)} s | ${fmt(x.ratio, 2)} | ` +
        `${list(x.providerCalls)} | ${list(x.secretWrites)} | ${list(x.serviceAccountPatches)} | ${fmt(x.peakRssMB)} MB | ` +
        `${size.newNamespaces.p50Ms} ms | ${size.newNamespaces.p99Ms} ms | ${x.resyncWrites} |`,
    );
  }
  lines.push("");
  lines.push(`![Convergence time and operator peak RSS against N](${svgName})`);
  lines.push("");
  lines.push("### Targets");
  lines.push("");
  lines.push(`| target | ${rows.map(({ size }) => `N = ${size.n.toLocaleString("en")}`).join(" | ")} |`);
  lines.push(`|---|${rows.map(() => "---").join("|")}|`);
  const targetRow = (label: string, cell: (size: SizeResult, x: ReturnType<typeof summarize>) => string) =>
    lines.push(`| ${label} | ${rows.map(({ size, x }) => cell(size, x)).join(" | ")} |`);
  targetRow(
    `convergence ≤ ${targets.ratio} × baseline`,
    (_, x) => `${fmt(x.ratio, 2)} ${verdict(x.ratio <= targets.ratio)}`,
  );
  targetRow(`peak RSS ≤ ${targets.rssMB} MB at N = ${targets.rssAtN.toLocaleString("en")}`, (size, x) =>
    size.n === targets.rssAtN
      ? `${fmt(x.peakRssMB)} MB ${verdict(x.peakRssMB <= targets.rssMB)}`
      : `${fmt(x.peakRssMB)} MB (${x.peakRssMB <= targets.rssMB ? "within" : "over"} the budget; the target is set for ${targets.rssAtN.toLocaleString("en")})`,
  );
  targetRow(
    `new-namespace p99 ≤ ${targets.p99Ms / 1000} s`,
    (size) => `${size.newNamespaces.p99Ms} ms ${verdict(size.newNamespaces.p99Ms <= targets.p99Ms)}`,
  );
  targetRow(
    `${targets.providerCalls} provider call per rotation`,
    (_, x) =>
      `${list(x.providerCalls)} ${verdict(x.providerCalls.every((c) => c === targets.providerCalls))}`,
  );
  targetRow(
    "N Secret writes and 0 ServiceAccount patches per rotation",
    (size, x) =>
      `${list(x.secretWrites)} / ${list(x.serviceAccountPatches)} ${verdict(
        x.secretWrites.every((w) => w === size.n) && x.serviceAccountPatches.every((p) => p === 0),
      )}`,
  );
  targetRow(
    `${targets.resyncWrites} writes on a no-change resync (restart)`,
    (_, x) => `${x.resyncWrites} ${verdict(x.resyncWrites === targets.resyncWrites)}`,
  );
  lines.push("");
  lines.push("### Details");
  for (const { size } of rows) {
    const r = size.resync;
    lines.push("");
    lines.push(`**N = ${size.n.toLocaleString("en")}**`);
    lines.push("");
    lines.push(
      `- Setup: ${size.n} namespaces created in ${size.namespacesSeconds} s (32 in flight, unthrottled client); initial fan-out ` +
        `(all Secrets present and every \`default\` ServiceAccount listing the Secret) in ${size.initialFanOutSeconds} s with ` +
        `${size.initialWrites.secretCreates} Secret creates, ${size.initialWrites.serviceAccountPatches} ServiceAccount patches, ` +
        `${size.initialWrites.providerCalls} provider call(s).`,
    );
    lines.push(
      `- Rotation trigger: ${
        size.keysSecretAloneRotates
          ? "updating the referenced keys Secret alone."
          : "updating the referenced keys Secret did **not** start a rotation within 5 s (no mint, no write), so each rotation also bumped the resource's generation with a spec change that alters no output (`refresh.minInterval` 1m ↔ 60s); times are measured from that change."
      }`,
    );
    for (const [i, run] of size.rotations.entries()) {
      lines.push(
        `- Rotation ${i + 1}: ${run.convergenceSeconds} s until the bench's watch saw all ${size.n} Secrets with the new token ` +
          `(${run.distinctTokens} distinct content); operator metrics: ${run.providerCalls} provider call(s) (fake ECR: ` +
          `${run.fakeEcrCalls}), ${run.secretUpdates} Secret updates, ${run.secretCreates} creates, ${run.serviceAccountPatches} ` +
          `ServiceAccount patches; apiserver, the bench's own writes subtracted: ${run.apiserver.detail} (${load(run.contention)}).`,
      );
    }
    for (const [i, run] of size.baselines.entries()) {
      lines.push(
        `- Baseline ${i + 1}: ${run.convergenceSeconds} s until the watch saw all ${size.n} Secrets updated ` +
          `(last PUT returned after ${run.putsSeconds} s; ${load(run.contention)}).`,
      );
    }
    const nn = size.newNamespaces;
    lines.push(
      `- New namespaces: ${nn.count}, one every ${nn.paceMs} ms, after the N-namespace setup; creation → Secret present and ` +
        `\`default\` lists it: p50 ${nn.p50Ms} ms, p99 ${nn.p99Ms} ms, max ${nn.maxMs} ms (${load(nn.contention)}).`,
    );
    lines.push(
      `- Restart with nothing changed: ready (caches synced) after ${r.readySeconds} s, settled after ${r.settledSeconds} s ` +
        `(${r.reconciles} reconciles); ${r.secretWrites} Secret writes (${r.secretDeletes} of them deletes), ${r.serviceAccountPatches} ServiceAccount patches, ` +
        `${r.providerCalls} provider calls (fake ECR: ${r.fakeEcrCalls}), ${r.changedSecrets} Secrets changed; ` +
        `apiserver writes on Secrets, ServiceAccounts, ClusterRegistryCredentials and Events: ${r.apiserver.detail}.`,
    );
    const mem = (label: string, p: ProcessMemory) =>
      `${label}: peak RSS (VmHWM) ${fmt(p.peakRss / 1e6)} MB, peak anonymous RSS ${fmt(p.peakAnon / 1e6)} MB; ` +
      `right after start (caches synced, nothing reconciled) ${fmt(p.ready.rss / 1e6)} MB ` +
      `(${fmt(p.ready.anon / 1e6)} MB anonymous, ${fmt(p.ready.file / 1e6)} MB file-backed); at most ${p.peakSockets} sockets open at once`;
    lines.push(
      `- Operator memory. ${mem("First process (setup, rotations, new namespaces)", size.memory.first)}. ` +
        `${mem("Restarted process", size.memory.restarted)}.`,
    );
  }
  lines.push("");
  lines.push("### How it is measured");
  lines.push("");
  lines.push(
    [
      "- Every N gets a fresh control plane (`startControlPlane`; kube-controller-manager at --kube-api-qps=200), the CRDs, a fake ECR (SigV4-verified `GetAuthorizationToken`) and N namespaces labelled `bench.regcred.dev/fanout=true`. The ClusterRegistryCredential selects them by that label, patches `default`, and reads static keys from a Secret in `regcred-system`.",
      "- The operator runs as its own process, `node dist/main.js --concurrency C --kube-api-qps Q --kube-api-burst B --log-level warn`, with `AWS_ENDPOINT_URL_ECR` pointing at the fake; its counters come from its `/metrics`, its memory from `/proc/PID/status` (VmHWM).",
      "- Convergence is observed by the bench through a watch on the managed Secrets: the time from the trigger to the watch event of the last of the N Secrets carrying new content and a new `regcred.dev/refreshed-at`.",
      "- The baseline is a bare client: client-node's `CoreV1Api` behind the operator's own `TokenBucket` (via `createKubeClients`, same qps/burst) replacing N Secrets of the same shape (copied labels, annotations, ownerReference and a same-length docker config; a different managed-by label so the operator ignores them) with `runPool` at the same concurrency. The resourceVersions are listed first, untimed, as the operator has them cached; the time is measured the same way, to the last watch event.",
      "- Writes are counted twice: by the operator's own counters and by the apiserver's `apiserver_request_total` (mutating verbs on Secrets, ServiceAccounts, ClusterRegistryCredentials and Events), from which the bench's own writes (the keys Secret and the spec change) are subtracted.",
      "- New-namespace latency: from just before the namespace POST to the later of two watch events: the Secret's creation, and `default` listing it (whoever created `default`).",
      "- No-change resync: the operator is stopped (SIGTERM) and a new process started; once it has been idle for 5 s, its counters, the fake ECR's calls and the apiserver's write counters since the restart must all be 0.",
    ].join("\n"),
  );
  lines.push("");
  lines.push("Reproduce (takes several minutes; needs Go for the control plane's first build):");
  lines.push("");
  lines.push("```sh");
  lines.push(
    `npm run bench -- --sizes ${results.sizes.map((x) => x.n).join(",")} --qps ${s.qps} --burst ${s.burst} --concurrency ${s.concurrency}`,
  );
  lines.push("```");
  lines.push("");
  lines.push(
    "Raw results: `bench/results/fan-out.json`. Options: `npm run bench -- --help` (`--repeats`, `--new-namespaces`, `--pace-ms`, `--output`).",
  );
  lines.push(endMarker);
  return lines.join("\n");
}

/** Writes the Markdown (replacing only the generated section when the file exists) and the SVG. */
export function writeReport(results: BenchResults, markdownPath: string): string[] {
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

function svg(results: BenchResults): string {
  const rows = results.sizes.map((size) => ({ n: size.n, x: summarize(size) }));
  const xs = rows.map((r) => r.n);
  const s = results.settings;
  const left = panel({ x: 10, y: 10 }, "Rotation: all N Secrets updated", "seconds", xs, [
    {
      name: "operator",
      color: "#1f77b4",
      points: rows.map((r) => ({ x: r.n, y: r.x.operator, label: `${r.x.operator.toFixed(1)} s` })),
    },
    {
      name: "bare-client baseline",
      color: "#7f7f7f",
      dash: "5 3",
      points: rows.map((r) => ({ x: r.n, y: r.x.baseline, label: `${r.x.baseline.toFixed(1)} s` })),
    },
  ]);
  const right = panel(
    { x: 410, y: 10 },
    "Operator peak RSS (VmHWM)",
    "MB",
    xs,
    [
      {
        name: "operator",
        color: "#2ca02c",
        points: rows.map((r) => ({ x: r.n, y: r.x.peakRssMB, label: `${r.x.peakRssMB.toFixed(0)} MB` })),
      },
    ],
    { y: targets.rssMB, label: `target ${targets.rssMB} MB at ${targets.rssAtN.toLocaleString("en")}` },
  );
  const m = results.machine;
  const caption = `qps ${s.qps}, burst ${s.burst}, concurrency ${s.concurrency} · ${m.nproc} CPUs, ${m.memoryGiB} GiB · Node ${m.node} · Kubernetes ${m.kubernetes} · ${m.date.slice(0, 10)}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="290" viewBox="0 0 800 290" font-family="sans-serif" font-size="12">
<title>Fan-out benchmark: rotation time (operator and baseline) and operator peak RSS against N</title>
<rect width="800" height="290" fill="#fff"/>
${left}
${right}
<text x="400" y="284" text-anchor="middle" font-size="10" fill="#555">${xmlText(caption)}</text>
</svg>
`;
}
