#!/usr/bin/env node
// Entry point of the regcred CLI (also installed as kubectl-regcred, so `kubectl regcred` works).
// It checks the Node version before loading anything else: the CLI's dependencies fail to load on
// older Nodes with a stack trace instead of a message.
import { unsupportedNode } from "./node-version.js";

const problem = unsupportedNode(process.versions.node);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exitCode = 2;
} else {
  const { run } = await import("./run.js");
  process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
}
