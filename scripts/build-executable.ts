// Builds the regcred CLI as one self-contained executable (a Node single executable application):
// dist/kubectl-regcred, which runs with no Node and no node_modules on the machine. Usage:
//   npm run build:executable [-- --out PATH]
// The executable is the Node that runs this script with the bundled CLI injected, so it runs on
// machines of this one's OS and CPU architecture. Exits non-zero naming the step that failed.
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const repoRoot = fileURLToPath(new URL("../", import.meta.url));
/** Where Node looks for the injected blob: the fuse string every Node binary carries. */
const seaFuse = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

function fail(step: string, detail: string): never {
  rmSync(work, { recursive: true, force: true });
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

const { values } = parseArgs({ options: { out: { type: "string" } } });
const out = resolve(values.out ?? join(repoRoot, "dist", "kubectl-regcred"));
const work = mkdtempSync(join(tmpdir(), "regcred-sea-"));
const started = Date.now();
mkdirSync(dirname(out), { recursive: true });

process.stdout.write("bundling src/cli/main.ts with esbuild\n");
const bundle = join(work, "regcred.cjs");
await build({
  entryPoints: [join(repoRoot, "src", "cli", "main.ts")],
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node24",
  outfile: bundle,
  logLevel: "warning",
}).catch((error: unknown) => fail("esbuild", String(error)));

process.stdout.write(`preparing the single executable blob with Node ${process.version}\n`);
const blob = join(work, "regcred.blob");
const config = join(work, "sea-config.json");
writeFileSync(
  config,
  JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }),
);
runStep("node --experimental-sea-config", process.execPath, ["--experimental-sea-config", config]);

process.stdout.write(`injecting it into a copy of ${process.execPath}\n`);
rmSync(out, { force: true });
copyFileSync(process.execPath, out);
chmodSync(out, 0o755);
// Run as a child (knip.json lists postject as used: it cannot see a resolved path).
const postject = createRequire(import.meta.url).resolve("postject/dist/cli.js");
// LIEF warns about note sections it cannot name in every Node binary; the result is unaffected.
runStep(
  "postject",
  process.execPath,
  [postject, out, "NODE_SEA_BLOB", blob, "--sentinel-fuse", seaFuse],
  /Can't find string offset for section name|Start injection|Injection done/,
);
rmSync(work, { recursive: true, force: true });

const megabytes = (statSync(out).size / 1024 / 1024).toFixed(0);
process.stdout.write(
  `built ${out} (${megabytes} MiB) in ${((Date.now() - started) / 1000).toFixed(1)} s\n` +
    "install it on PATH as kubectl-regcred (kubectl regcred) or regcred\n",
);
