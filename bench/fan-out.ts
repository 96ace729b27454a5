import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, release, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { log, type Options, operatorSource, repoRoot, seconds, started } from "./support/kit.js";
import { type BenchResults, type Machine, writeReport } from "./support/report.js";
import { SizeRun } from "./support/size-run.js";

const usage = `usage: npm run bench -- [--sizes 1000,5000] [--qps 100] [--burst 200] [--concurrency 16]
                        [--repeats 2] [--new-namespaces 200] [--pace-ms 100] [--output docs/benchmarks.md]
                        [--log-level warn] [--keep-logs]

--qps/--burst/--concurrency apply to the operator and to the bare-client baseline alike.
--repeats      forced rotations (and baseline runs) per size
--pace-ms      interval between the creations of the new namespaces of the latency measurement
--output       the Markdown report; the plot goes next to it as <name>-fanout.svg
--log-level    the operator's log level (default warn); --keep-logs keeps its log files
Environment: BENCH_OPERATOR_MAIN=path/to/main.js measures another build (default dist/main.js).`;

function parseOptions(): Options {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        sizes: { type: "string", default: "1000,5000" },
        qps: { type: "string", default: "100" },
        burst: { type: "string", default: "200" },
        concurrency: { type: "string", default: "16" },
        repeats: { type: "string", default: "2" },
        "new-namespaces": { type: "string", default: "200" },
        "pace-ms": { type: "string", default: "100" },
        output: { type: "string", default: join(repoRoot, "docs", "benchmarks.md") },
        "log-level": { type: "string", default: "warn" },
        "keep-logs": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const positive = (name: string, text: string, allowZero = false) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
      console.error(`--${name} must be a ${allowZero ? "non-negative" : "positive"} integer, got "${text}"`);
      process.exit(2);
    }
    return value;
  };
  const sizes = String(values.sizes)
    .split(",")
    .map((s) => positive("sizes", s.trim()));
  return {
    sizes,
    qps: positive("qps", String(values.qps)),
    burst: positive("burst", String(values.burst)),
    concurrency: positive("concurrency", String(values.concurrency)),
    repeats: positive("repeats", String(values.repeats)),
    newNamespaces: positive("new-namespaces", String(values["new-namespaces"])),
    paceMs: positive("pace-ms", String(values["pace-ms"]), true),
    output: String(values.output),
    logLevel: String(values["log-level"]),
    keepLogs: values["keep-logs"] === true,
  };
}

async function main(): Promise<void> {
  const options = parseOptions();
  const machine: Machine = {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
    kubernetes: "",
    date: new Date().toISOString(),
    operatorSource: operatorSource(),
  };
  log(
    `fan-out benchmark: sizes ${options.sizes.join(", ")}; qps ${options.qps}, burst ${options.burst}, ` +
      `concurrency ${options.concurrency}; ${options.repeats} rotation(s) per size; ` +
      `${machine.nproc} CPUs, ${machine.memoryGiB} GiB, node ${machine.node}`,
  );
  const results: BenchResults = {
    machine,
    settings: {
      qps: options.qps,
      burst: options.burst,
      concurrency: options.concurrency,
      repeats: options.repeats,
      newNamespaces: options.newNamespaces,
      paceMs: options.paceMs,
    },
    sizes: [],
    durationSeconds: 0,
  };
  const jsonPath = join(repoRoot, "bench", "results", "fan-out.json");
  for (const n of options.sizes) {
    const run = new SizeRun(n, options);
    const result = await run.run();
    results.sizes.push(result);
    machine.kubernetes ||= result.kubernetesVersion;
    results.durationSeconds = seconds(performance.now() - started);
    mkdirSync(dirname(jsonPath), { recursive: true });
    writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  }
  results.durationSeconds = seconds(performance.now() - started);
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  const written = writeReport(results, options.output);
  log(`wrote ${written.join(", ")} and ${jsonPath}`);
  log(`done in ${(results.durationSeconds / 60).toFixed(1)} min`);
}

main().catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
