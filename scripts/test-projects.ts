// `npm run test:projects`: the test projects in two lanes side by side. One runs the unit project
// and then the integration project (against its own control plane); the other the e2e project (its
// own control plane and real nodes), the longest, from the start, so its waiting on pods overlaps
// the unit and integration projects' one worker each. What they need is prepared first, once, so
// no two runs build the same thing at once. Every output line is prefixed with its project; exits
// non-zero when any run fails (the integration project does not start after a failed unit run),
// after printing how long each took.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { ensureControlPlaneBinary } from "../test/support/controlplane/build.js";
import { ensureNodePrerequisites, ensureTestPrerequisites } from "../test/support/setup/prerequisites.js";

const setup = (line: string) => process.stderr.write(`[setup] ${line}\n`);
ensureTestPrerequisites(setup);
if (process.getuid?.() === 0) ensureNodePrerequisites(setup);
await ensureControlPlaneBinary((line) => process.stderr.write(`[controlplane] ${line}\n`));

interface Outcome {
  project: string;
  code: number;
  seconds: number;
}

function run(project: string, script: string): Promise<Outcome> {
  const started = Date.now();
  const child = spawn("npm", ["run", "--silent", script], { stdio: ["ignore", "pipe", "pipe"] });
  for (const [stream, out] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ] as const)
    createInterface({ input: stream }).on("line", (line) => out.write(`[${project}] ${line}\n`));
  return new Promise((resolve) =>
    child.on("close", (code) =>
      resolve({ project, code: code ?? 1, seconds: Math.round((Date.now() - started) / 1000) }),
    ),
  );
}

async function unitThenIntegration(): Promise<Outcome[]> {
  const unit = await run("unit", "test:unit");
  if (unit.code !== 0) return [unit];
  return [unit, await run("integration", "test:integration")];
}

const outcomes = (await Promise.all([unitThenIntegration(), run("e2e", "test:e2e").then((o) => [o])])).flat();
for (const { project, code, seconds } of outcomes)
  process.stderr.write(`${project}: ${code === 0 ? "passed" : `FAILED (exit ${code})`} in ${seconds} s\n`);
process.exit(outcomes.some((o) => o.code !== 0) ? 1 : 0);
