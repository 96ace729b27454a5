// The README's demo command, run to completion by tests.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { recordShown } from "./leaks/ledger.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** Runs `npm run demo -- --duration N ...extraArgs` to its end; its output is recorded for the leak scan. */
export function runDemo(
  seconds: number,
  extraArgs: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "demo/main.ts", "--duration", String(seconds), ...extraArgs],
      {
        cwd: repoRoot,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      recordShown("demo-output", `${stdout}\n${stderr}`);
      resolve({ code, stdout, stderr });
    });
  });
}
