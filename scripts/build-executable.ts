// Builds the regcred CLI as one self-contained executable (a Node single executable application):
// dist/kubectl-regcred, which runs with no Node and no node_modules on the machine. Usage:
//   npm run build:executable [-- --out PATH]
// The executable is the Node that runs this script with the bundled CLI injected, so it runs on
// Linux machines of this one's CPU architecture. Builds on Linux only (macOS needs a Mach-O
// segment and re-signing, Windows an .exe: not done here). Exits non-zero naming the step that
// failed, leaving the output path as it was.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { bundle } from "./bundle.js";

const repoRoot = fileURLToPath(new URL("../", import.meta.url));
/** Where Node looks for the injected blob: the fuse string every Node binary carries. */
const seaFuse = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";
/** The scratch directory, removed on success and on failure. */
let work = "";

function fail(step: string, detail: string): never {
  if (work) rmSync(work, { recursive: true, force: true });
  process.stderr.write(`build-executable: ${step} failed: ${detail}\n`);
  process.exit(1);
}

function runStep(step: string, command: string, args: string[], quiet?: RegExp): void {
  const result = spawnSync(command, args, { cwd: repoRoot, encoding: "utf8" });
  const output = `${result.stdout}${result.stderr}`
    .split("\n")
    .filter((line) => line && !quiet?.test(line))
    .join("\n");
  if (result.error || result.status !== 0) fail(step, result.error?.message ?? output);
}

if (process.platform !== "linux")
  fail("the platform check", `this script builds Linux executables only; this is ${process.platform}`);
const { values } = parseArgs({ options: { out: { type: "string" } } });
const out = resolve(values.out ?? join(repoRoot, "dist", "kubectl-regcred"));
work = mkdtempSync(join(tmpdir(), "regcred-sea-"));
const started = Date.now();
mkdirSync(dirname(out), { recursive: true });

process.stdout.write("bundling src/cli/main.ts with esbuild\n");
const bundled = join(work, "regcred.cjs");
await bundle({ entryPoint: join(repoRoot, "src", "cli", "main.ts"), format: "cjs", out: bundled }).catch(
  (error: unknown) => fail("esbuild", String(error)),
);

process.stdout.write(`preparing the single executable blob with Node ${process.version}\n`);
const blob = join(work, "regcred.blob");
const config = join(work, "sea-config.json");
writeFileSync(
  config,
  JSON.stringify({
    main: bundled,
    output: blob,
    disableExperimentalSEAWarning: true,
    useCodeCache: true,
    // The CLI is not a Node: NODE_OPTIONS in the user's shell must not reach it.
    execArgvExtension: "none",
  }),
);
runStep("node --experimental-sea-config", process.execPath, ["--experimental-sea-config", config]);

process.stdout.write(`injecting it into a copy of ${process.execPath}\n`);
const executable = join(work, "kubectl-regcred");
copyFileSync(process.execPath, executable);
chmodSync(executable, 0o755);
// Run as a child (knip.json lists postject as used: it cannot see a resolved path).
const postject = createRequire(import.meta.url).resolve("postject/dist/cli.js");
// LIEF warns about note sections it cannot name in every Node binary; the result is unaffected.
runStep(
  "postject",
  process.execPath,
  [postject, executable, "NODE_SEA_BLOB", blob, "--sentinel-fuse", seaFuse],
  /Can't find string offset for section name|Start injection|Injection done/,
);
// Only a finished executable reaches `out`, replacing any earlier one in one rename (which also
// works while the earlier one runs).
const staged = `${out}.partial-${process.pid}`;
copyFileSync(executable, staged);
chmodSync(staged, 0o755);
renameSync(staged, out);
rmSync(work, { recursive: true, force: true });

const megabytes = (statSync(out).size / 1024 / 1024).toFixed(0);
process.stdout.write(
  `built ${out} (${megabytes} MiB) in ${((Date.now() - started) / 1000).toFixed(1)} s\n` +
    "install it on PATH as kubectl-regcred (kubectl regcred) or regcred\n",
);
