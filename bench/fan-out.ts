import { availableParallelism, cpus, release, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { eso } from "./scenarios/eso.js";
import { features } from "./scenarios/features.js";
import { identities, identitiesWorld } from "./scenarios/identities.js";
import { newNamespaceLatency } from "./scenarios/new-namespace-latency.js";
import { coldStart, startup } from "./scenarios/startup.js";
import { throughput } from "./scenarios/throughput.js";
import { log, type Options, operatorSource, repoRoot, seconds } from "./support/kit.js";
import { writeReport } from "./support/report.js";
import { type Machine, type ScenarioName, type ScenarioResults, scenarioNames } from "./support/results.js";
import { ResultsStore, resultsKey } from "./support/results-store.js";
import { SizeRun } from "./support/size-run.js";

const usage = `usage: npm run bench -- [--scenarios ${scenarioNames.join(",")}] [--resume]
                        [--sizes 1000,5000] [--qps 100000] [--burst 100000] [--concurrency 16]
                        [--limited-qps 100] [--limited-burst 200] [--ceiling-concurrency 4,8,16,32,64]
                        [--repeats 2] [--new-namespaces 200] [--pace-ms 100]
                        [--identity-namespaces 200] [--identity-credentials 1000] [--identity-accounts 5]
                        [--identity-token-lifetime 180] [--features-n 1000]
                        [--output docs/benchmarks.md] [--log-level warn] [--keep-logs]

--scenarios    which to run (default all): throughput (rotations with the limiter lifted and limited, the
               bare client beside them, the apiserver's ceiling), new-namespaces, startup (first start and
               restart), eso (External Secrets Operator on the same namespaces), identities (many identities),
               features (RSS of each feature at --features-n); the first four run per size on one control plane
--resume       skip each (scenario, N) already stored for this commit under bench/results/
--qps/--burst/--concurrency  the headline client profile (limiter lifted), for the operator and the bare client
--limited-qps/--limited-burst  the second row's profile (same concurrency)
--repeats      forced rotations (and bare-client runs, and runs per ceiling concurrency) per size
--pace-ms      interval between the creations of the new namespaces of the latency measurement
--identity-token-lifetime  seconds the fake ECR's tokens live in the identities scenario (refreshes within the run)
--output       the Markdown report, rewritten from every result stored for this commit; the plot goes next
               to it as <name>-fanout.svg
--log-level    the operator's log level (default warn); --keep-logs keeps its log files
Environment: BENCH_OPERATOR_MAIN=path/to/main.mjs measures another build (default dist/operator/main.mjs, the\nbundle the image ships); BENCH_NODE_OPTIONS sets its Node flags (default the image's heap under the chart's\n256Mi limit: --max-old-space-size=128 --max-semi-space-size=2); MALLOC_ARENA_MAX its glibc malloc arenas (default\nthe image's 2).`;

function fail(message: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}

function parseOptions(): Options {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        scenarios: { type: "string", default: scenarioNames.join(",") },
        resume: { type: "boolean", default: false },
        sizes: { type: "string", default: "1000,5000" },
        qps: { type: "string", default: "100000" },
        burst: { type: "string", default: "100000" },
        concurrency: { type: "string", default: "16" },
        "limited-qps": { type: "string", default: "100" },
        "limited-burst": { type: "string", default: "200" },
        "ceiling-concurrency": { type: "string", default: "4,8,16,32,64" },
        repeats: { type: "string", default: "2" },
        "new-namespaces": { type: "string", default: "200" },
        "pace-ms": { type: "string", default: "100" },
        "identity-namespaces": { type: "string", default: "200" },
        "identity-credentials": { type: "string", default: "1000" },
        "identity-accounts": { type: "string", default: "5" },
        "identity-token-lifetime": { type: "string", default: "180" },
        "features-n": { type: "string", default: "1000" },
        output: { type: "string", default: join(repoRoot, "docs", "benchmarks.md") },
        "log-level": { type: "string", default: "warn" },
        "keep-logs": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const integer = (name: string, allowZero = false) => {
    const text = String(values[name]);
    const value = Number(text);
    if (!Number.isInteger(value) || value < (allowZero ? 0 : 1))
      fail(`--${name} must be a ${allowZero ? "non-negative" : "positive"} integer, got "${text}"`);
    return value;
  };
  const integers = (name: string) =>
    String(values[name])
      .split(",")
      .map((s) => {
        const value = Number(s.trim());
        if (!Number.isInteger(value) || value < 1) fail(`--${name} takes positive integers, got "${s}"`);
        return value;
      });
  const scenarios = String(values.scenarios)
    .split(",")
    .map((s) => s.trim());
  for (const s of scenarios)
    if (!(scenarioNames as readonly string[]).includes(s))
      fail(`--scenarios: unknown scenario "${s}" (known: ${scenarioNames.join(", ")})`);
  const concurrency = integer("concurrency");
  const credentials = integer("identity-credentials");
  const identityNamespaces = integer("identity-namespaces");
  if (credentials < identityNamespaces)
    fail("--identity-credentials must be at least --identity-namespaces (every namespace holds one or more)");
  return {
    scenarios,
    resume: values.resume === true,
    sizes: integers("sizes"),
    lifted: { qps: integer("qps"), burst: integer("burst"), concurrency },
    limited: { qps: integer("limited-qps"), burst: integer("limited-burst"), concurrency },
    ceilingConcurrencies: integers("ceiling-concurrency"),
    repeats: integer("repeats"),
    newNamespaces: integer("new-namespaces"),
    paceMs: integer("pace-ms", true),
    identities: {
      namespaces: identityNamespaces,
      identities: identityNamespaces,
      credentials,
      accounts: integer("identity-accounts"),
      lifetimeSeconds: integer("identity-token-lifetime"),
    },
    featuresN: integer("features-n"),
    output: String(values.output),
    logLevel: String(values["log-level"]),
    keepLogs: values["keep-logs"] === true,
  };
}

/** The scenarios that run per size, in order, on one control plane. */
const perSize: readonly ScenarioName[] = ["throughput", "new-namespaces", "startup", "eso"];

class Bench {
  readonly store = new ResultsStore(resultsKey());
  readonly machine: Machine = {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
    kubernetes: "",
    operatorSource: operatorSource(),
  };

  constructor(readonly options: Options) {}

  wanted(scenario: ScenarioName, n: number): boolean {
    if (!this.options.scenarios.includes(scenario)) return false;
    if (this.options.resume && this.store.has(scenario, n)) {
      log(`${scenario} at N=${n}: stored for ${this.store.key} already; skipped (--resume)`);
      return false;
    }
    return true;
  }

  /** Runs one scenario and stores its result (nothing when it returns undefined). */
  async measure<S extends ScenarioName>(
    scenario: S,
    n: number,
    world: SizeRun,
    run: () => Promise<ScenarioResults[S] | undefined>,
  ): Promise<void> {
    const t0 = performance.now();
    const result = await run();
    if (result === undefined) return;
    this.machine.kubernetes = world.cp.version;
    const path = this.store.save({
      scenario,
      n,
      source: this.store.key,
      date: new Date().toISOString(),
      durationSeconds: seconds(performance.now() - t0),
      machine: this.machine,
      result,
    });
    log(`${scenario} at N=${n}: stored in ${path}`);
  }

  /** Opens a world, runs `body` in it and always closes it. */
  async inWorld(world: SizeRun, body: (world: SizeRun) => Promise<void>): Promise<void> {
    try {
      await world.open();
      await body(world);
    } catch (error) {
      if (world.operator) log(`operator log tail:\n${world.operator.logTail(40)}`);
      throw error;
    } finally {
      await world.close();
    }
  }

  async run(): Promise<void> {
    const { options } = this;
    for (const n of options.sizes) {
      const todo = perSize.filter((s) => this.wanted(s, n));
      if (todo.length === 0) continue;
      log(`N=${n}: scenarios ${todo.join(", ")}`);
      await this.inWorld(new SizeRun(n, options), async (world) => {
        const cold = await coldStart(world);
        if (todo.includes("throughput")) await this.measure("throughput", n, world, () => throughput(world));
        if (todo.includes("new-namespaces"))
          await this.measure("new-namespaces", n, world, () => newNamespaceLatency(world));
        if (todo.includes("startup")) await this.measure("startup", n, world, () => startup(world, cold));
        if (todo.includes("eso")) await this.measure("eso", n, world, () => eso(world));
      });
    }
    if (this.wanted("identities", options.identities.credentials)) {
      const world = identitiesWorld(options);
      await this.inWorld(world, () =>
        this.measure("identities", options.identities.credentials, world, () => identities(world)),
      );
    }
    if (this.wanted("features", options.featuresN)) {
      const world = new SizeRun(options.featuresN, options);
      await this.inWorld(world, () =>
        this.measure("features", options.featuresN, world, () => features(world)),
      );
    }
  }
}

async function main(): Promise<void> {
  const options = parseOptions();
  const bench = new Bench(options);
  const m = bench.machine;
  log(
    `benchmark: scenarios ${options.scenarios.join(", ")}; sizes ${options.sizes.join(", ")}; ` +
      `lifted qps ${options.lifted.qps}/burst ${options.lifted.burst}, limited ${options.limited.qps}/${options.limited.burst}, ` +
      `concurrency ${options.lifted.concurrency}; ${options.repeats} rotation(s) per size; results under ${bench.store.dir}; ` +
      `${m.nproc} CPUs, ${m.memoryGiB} GiB, node ${m.node}`,
  );
  const t0 = performance.now();
  await bench.run();
  const written = writeReport(bench.store.all(), options.output);
  log(`wrote ${written.join(", ")} from ${bench.store.all().length} stored result(s) of ${bench.store.key}`);
  log(`done in ${((performance.now() - t0) / 60_000).toFixed(1)} min`);
}

main().catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
