#!/usr/bin/env node
// Entry point of the regcred CLI (also installed as kubectl-regcred, so `kubectl regcred` works).
import { run } from "./run.js";

process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
