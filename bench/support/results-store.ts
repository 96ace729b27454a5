// Where the benchmark keeps what it measured: one JSON file per (scenario, N) under
// bench/results/<commit>[-dirty]/, so scenarios can run one at a time, a run can resume on the
// same commit, and the report is rebuilt from everything stored for HEAD.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./kit.js";
import type { Machine } from "./results.js";

/** One stored measurement: what ran, where, when, and its scenario's own result. */
export interface StoredResult<R = unknown> {
  scenario: string;
  n: number;
  /** The results key it was stored under (commit, "-dirty" when the tree had changes). */
  source: string;
  date: string;
  durationSeconds: number;
  machine: Machine;
  result: R;
}

const resultsRoot = join(repoRoot, "bench", "results");

/** Paths whose changes do not make the tree dirty: what a bench run writes itself. */
const ownOutputs = [
  ":(exclude)bench/results",
  ":(exclude)docs/benchmarks.md",
  ":(exclude)docs/benchmarks-fanout.svg",
];

/**
 * The key results of HEAD are stored under: its short commit, with "-dirty" when the tree (the
 * bench's own outputs aside) has uncommitted changes. Throws outside a git checkout.
 */
export function resultsKey(): string {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: repoRoot, encoding: "utf8" }).trim();
  const commit = git("rev-parse", "--short", "HEAD");
  return git("status", "--porcelain", "--", ".", ...ownOutputs) ? `${commit}-dirty` : commit;
}

const fileName = (scenario: string, n: number) => `${scenario}-${n}.json`;

export class ResultsStore {
  readonly dir: string;

  constructor(readonly key: string) {
    this.dir = join(resultsRoot, key);
  }

  has(scenario: string, n: number): boolean {
    return existsSync(join(this.dir, fileName(scenario, n)));
  }

  save<R>(stored: StoredResult<R>): string {
    mkdirSync(this.dir, { recursive: true });
    const path = join(this.dir, fileName(stored.scenario, stored.n));
    writeFileSync(path, `${JSON.stringify(stored, null, 2)}\n`);
    return path;
  }

  /** Every result stored under this key, sorted by scenario and N. */
  all(): StoredResult[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((name) => name.endsWith(".json"))
      .map((name) => JSON.parse(readFileSync(join(this.dir, name), "utf8")) as StoredResult)
      .sort((a, b) => a.scenario.localeCompare(b.scenario) || a.n - b.n);
  }
}
