// `npm run test:integration-and-e2e`: the integration project and the e2e project at the same time,
// each against its own control plane, so that the e2e project's waiting on pods overlaps the
// integration project's one worker. What both need is prepared first, once, so the two runs never
// build the same thing at once. Every output line is prefixed with its project; exits non-zero
// when either run fails, after printing how long each took.
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

const outcomes = await Promise.all([run("integration", "test:integration"), run("e2e", "test:e2e")]);
for (const { project, code, seconds } of outcomes)
  process.stderr.write(`${project}: ${code === 0 ? "passed" : `FAILED (exit ${code})`} in ${seconds} s\n`);
process.exit(outcomes.some((o) => o.code !== 0) ? 1 : 0);
