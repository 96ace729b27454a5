// promtool from the tool cache, on files written to a scratch directory; its output is recorded for the leak scan.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dump } from "js-yaml";
import { recordShown } from "../leaks/ledger.js";
import { scratchDir } from "../scratch.js";
import { toolPath } from "../tools.js";

export interface ToolRun {
  status: number | null;
  /** stdout and stderr together, as promtool printed them. */
  output: string;
}

let scratch: string | undefined;

/** Writes `content` as YAML to a fresh file named `name`; returns its path. */
export function writeYaml(name: string, content: unknown): string {
  scratch ??= scratchDir("regcred-promtool");
  const path = join(scratch, name);
  writeFileSync(path, dump(content, { lineWidth: -1, noRefs: true }));
  return path;
}

/** Runs `promtool args`. */
export function promtool(args: string[]): ToolRun {
  const result = spawnSync(toolPath("promtool"), args, { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  if (result.error) throw result.error;
  const output = `${result.stdout}${result.stderr}`;
  recordShown("promtool", output);
  return { status: result.status, output };
}
