// The suite-wide record of credential values (what every fake issued or was given) and of what the
// suite showed (operator logs, events, statuses, test output), so that one scan at the end of a run
// can prove no credential value was shown anywhere. Files live in REGCRED_LEAK_DIR, which the jest
// global setup creates; outside a jest run (no directory) nothing is recorded.
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

export const leakDirVariable = "REGCRED_LEAK_DIR";

function directory(sub: string): string | undefined {
  const root = process.env[leakDirVariable];
  if (!root) return undefined;
  const dir = join(root, sub);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Records a credential value a fake issued or was configured with; `what` names it without the value. */
export function recordIssued(what: string, value: string): void {
  const dir = directory("issued");
  if (!dir || value.length === 0) return;
  appendFileSync(join(dir, `${process.pid}.jsonl`), `${JSON.stringify({ what, value })}\n`);
}

/** Records text the suite showed (a log, an event, a status, test output), under a name saying where it came from. */
export function recordShown(source: string, text: string): void {
  const dir = directory("shown");
  if (!dir || text.length === 0) return;
  const file = `${process.pid}-${source.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 120)}.txt`;
  appendFileSync(join(dir, file), `${text}\n`);
}
