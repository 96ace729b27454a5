// What the integration tests need beyond `npm ci` and the control plane (which builds itself):
// prepared on first use, cached, with progress, so that `npm ci && npm test` works on a fresh clone.
// Anything that cannot be prepared fails the run loudly, naming what to install and how.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

type Report = (line: string) => void;

/** Thrown when a prerequisite is missing and cannot be installed here; the message says how to. */
export class PrerequisiteError extends Error {
  override name = "PrerequisiteError";
}

/** Runs a command with its output shown; throws with `hint` when it fails. */
function run(report: Report, command: string, args: string[], hint: string): void {
  report(`$ ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { cwd: repoRoot, stdio: ["ignore", "inherit", "inherit"] });
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

/** helm (pinned, built with Go into the user cache) for the chart tests. */
export function ensureHelm(report: Report): void {
  run(
    report,
    "bash",
    [join(repoRoot, "scripts", "install-tools.sh")],
    "install Go ≥ 1.26 (it builds helm), then run npm test again",
  );
}

/** Debian packages the registry tests use, by a command each provides. */
const debianTools: { check: () => boolean; pkg: string }[] = [
  { check: () => existsSync("/usr/bin/docker-registry"), pkg: "docker-registry" },
  { check: () => onPath("skopeo"), pkg: "skopeo" },
  { check: () => onPath("htpasswd"), pkg: "apache2-utils" },
];

/**
 * The Debian packages of the registry tests (CNCF distribution's registry, skopeo, htpasswd),
 * installed with apt-get when missing and this runs as root on Debian or Ubuntu; otherwise a
 * PrerequisiteError names the command to run.
 */
export function ensureDebianPackages(report: Report): void {
  const missing = debianTools.filter((tool) => !tool.check()).map((tool) => tool.pkg);
  if (missing.length === 0) return;
  const command = `apt-get update && apt-get install -y ${missing.join(" ")}`;
  const root = process.getuid?.() === 0;
  if (!root || !onPath("apt-get"))
    throw new PrerequisiteError(
      `the registry tests need the Debian packages ${missing.join(", ")}; install them as root: ${command}`,
    );
  report(`installing the Debian packages ${missing.join(", ")} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const apt = (args: string[]) => {
    report(`$ apt-get ${args.join(" ")}`);
    const result = spawnSync("apt-get", args, { stdio: ["ignore", "inherit", "inherit"], env });
    if (result.status !== 0) throw new PrerequisiteError(`apt-get ${args[0]} failed; run: ${command}`);
  };
  apt(["update", "-qq"]);
  apt(["install", "-y", "-qq", ...missing]);
}

/** Everything above, in order; throws PrerequisiteError for the first that cannot be prepared. */
export function ensureTestPrerequisites(report: Report): void {
  ensureDebianPackages(report);
  ensureMotoVenv(report);
  ensureHelm(report);
}
