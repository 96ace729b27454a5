#!/usr/bin/env node
// Entry point of the regcred CLI (also installed as kubectl-regcred, so `kubectl regcred` works),
// and of its single executable (scripts/build-executable.ts bundles it as CommonJS, so no
// top-level await here). It checks the Node version before loading anything else: the CLI's
// dependencies fail to load on older Nodes with a stack trace instead of a message.
import { unsupportedNode } from "./node-version.js";

const problem = unsupportedNode(process.versions.node);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exitCode = 2;
} else {
  import("./run.js")
    .then(async ({ run }) => {
      process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
    })
    .catch((error: unknown) => {
      process.stderr.write(`regcred: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    });
}
