// What the integration tests need beyond `npm ci` and the control plane (which builds itself):
// prepared on first use, cached, with progress, so that `npm ci && npm test` works on a fresh clone.
// Anything that cannot be prepared fails the run loudly, naming what to install and how.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cacheRoot } from "../tools.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

type Report = (line: string) => void;

/** Thrown when a prerequisite is missing and cannot be installed here; the message says how to. */
export class PrerequisiteError extends Error {
  override name = "PrerequisiteError";
}

/** Runs a command with its output shown; throws with `hint` when it fails. */
function run(report: Report, command: string, args: string[], hint: string, env = process.env): void {
  report(`$ ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { cwd: repoRoot, stdio: ["ignore", "inherit", "inherit"], env });
  if (result.error || result.status !== 0)
    throw new PrerequisiteError(
      `${command} failed (${result.error?.message ?? `exit ${result.status}`}); ${hint}`,
    );
}

const onPath = (command: string) => spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;

/**
 * moto (the AWS fake of the ECR and STS tests) in the project's virtualenv `.venv`, created from
 * test/requirements.txt. Reinstalled when the requirements change (their hash is kept in the venv).
 */
export function ensureMotoVenv(report: Report): void {
  const requirements = join(repoRoot, "test", "requirements.txt");
  const venv = join(repoRoot, ".venv");
  const stamp = join(venv, ".requirements-sha256");
  const wanted = createHash("sha256").update(readFileSync(requirements)).digest("hex");
  if (
    existsSync(join(venv, "bin", "moto_server")) &&
    existsSync(stamp) &&
    readFileSync(stamp, "utf8") === wanted
  )
    return;
  const hint =
    "install Python 3 with venv and pip (Debian: apt-get install python3-venv), then run npm test again";
  if (!onPath("python3")) throw new PrerequisiteError(`python3 is not on PATH; ${hint}`);
  report("creating the moto virtualenv .venv from test/requirements.txt (first run: about a minute)");
  run(report, "python3", ["-m", "venv", venv], hint);
  run(
    report,
    join(venv, "bin", "pip"),
    ["install", "--quiet", "--disable-pip-version-check", "-r", requirements],
    `${hint}; pip needs the package index`,
  );
  writeFileSync(stamp, wanted);
}

/**
 * The test tools built from the Go module proxy into the user cache (scripts/install-tools.sh):
 * helm for the chart, CNCF distribution's registry and crane for the registry tests, Prometheus
 * and promtool for the alerts and the dashboard.
 */
export function ensureGoTools(report: Report): void {
  run(
    report,
    "bash",
    [join(repoRoot, "scripts", "install-tools.sh")],
    "install Go ≥ 1.26 (it builds the test tools) and make sure the Go module proxy is reachable, then run npm test again",
    // The cache the tests look in, whatever HOME the shell has.
    { ...process.env, REGCRED_CACHE_DIR: cacheRoot() },
  );
}

/** Everything above, in order; throws PrerequisiteError for the first that cannot be prepared. */
export function ensureTestPrerequisites(report: Report): void {
  ensureMotoVenv(report);
  ensureGoTools(report);
}
