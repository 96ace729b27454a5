// What the integration tests need beyond `npm ci` and the control plane (which builds itself):
// prepared on first use, cached, with progress, so that `npm ci && npm test` works on a fresh clone.
// Anything that cannot be prepared fails the run loudly, naming what to install and how.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
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
 * moto (the AWS fake of the ECR and STS tests) in a virtualenv created from test/requirements.txt
 * under the user cache (keyed by the requirements and the Python version, so every clone on the
 * machine shares one and a fresh clone spends no minute on pip), and `.venv` in the repository a
 * symlink to it. A venv being created by another run is recognised by its missing stamp and made
 * again.
 */
export function ensureMotoVenv(report: Report): void {
  const requirements = join(repoRoot, "test", "requirements.txt");
  const hint =
    "install Python 3 with venv and pip (Debian: apt-get install python3-venv), then run npm test again";
  if (!onPath("python3")) throw new PrerequisiteError(`python3 is not on PATH; ${hint}`);
  const python = spawnSync("python3", ["--version"], { encoding: "utf8" }).stdout.trim();
  const wanted = createHash("sha256").update(readFileSync(requirements)).update(python).digest("hex");
  const venv = join(cacheRoot(), "venvs", `moto-${wanted.slice(0, 16)}`);
  const stamp = join(venv, ".requirements-sha256");
  const ready =
    existsSync(join(venv, "bin", "moto_server")) &&
    existsSync(stamp) &&
    readFileSync(stamp, "utf8") === wanted;
  if (!ready) {
    report(
      `creating the moto virtualenv ${venv} from test/requirements.txt (first run on this machine: about a minute)`,
    );
    rmSync(venv, { recursive: true, force: true });
    mkdirSync(dirname(venv), { recursive: true });
    run(report, "python3", ["-m", "venv", venv], hint);
    run(
      report,
      join(venv, "bin", "pip"),
      ["install", "--quiet", "--disable-pip-version-check", "-r", requirements],
      `${hint}; pip needs the package index`,
    );
    writeFileSync(stamp, wanted);
  }
  const link = join(repoRoot, ".venv");
  if (existsSync(link) && lstatSync(link).isSymbolicLink() && readlinkSync(link) === venv) return;
  rmSync(link, { recursive: true, force: true });
  symlinkSync(venv, link);
}

/** Builds `tools` from the Go module proxy into the user cache (scripts/install-tools.sh). */
function installTools(report: Report, tools: string[]): void {
  run(
    report,
    "bash",
    [join(repoRoot, "scripts", "install-tools.sh"), ...tools],
    "install Go ≥ 1.26 (it builds the test tools) and make sure the Go module proxy is reachable, then run npm test again",
    // The cache the tests look in, whatever HOME the shell has.
    { ...process.env, REGCRED_CACHE_DIR: cacheRoot() },
  );
}

/**
 * Debian packages, installed with apt-get when missing and this runs as root on Debian or Ubuntu;
 * otherwise a PrerequisiteError names the command to run.
 */
function ensureDebianPackages(
  report: Report,
  why: string,
  packages: { pkg: string; present: () => boolean }[],
) {
  const missing = packages.filter((p) => !p.present()).map((p) => p.pkg);
  if (missing.length === 0) return;
  const command = `apt-get update && apt-get install -y ${missing.join(" ")}`;
  if (process.getuid?.() !== 0 || !onPath("apt-get"))
    throw new PrerequisiteError(
      `${why} needs the Debian packages ${missing.join(", ")}; install them as root: ${command}`,
    );
  report(`installing the Debian packages ${missing.join(", ")} with apt-get (${why})`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [
    ["update", "-qq"],
    ["install", "-y", "-qq", ...missing],
  ]) {
    report(`$ apt-get ${args.join(" ")}`);
    const result = spawnSync("apt-get", args, { stdio: ["ignore", "inherit", "inherit"], env });
    if (result.status !== 0) throw new PrerequisiteError(`apt-get ${args[0]} failed; run: ${command}`);
  }
}

/**
 * What the integration tests need: moto's venv, and helm, CNCF distribution's registry, crane,
 * Prometheus and promtool built from the Go module proxy. Throws PrerequisiteError for the first
 * that cannot be prepared.
 */
export function ensureTestPrerequisites(report: Report): void {
  ensureMotoVenv(report);
  installTools(report, ["helm", "registry", "crane", "prometheus", "promtool"]);
}

/** What a registry on loopback needs (the demo's node pulls from one): registry and crane. */
export function ensureRegistryTools(report: Report): void {
  installTools(report, ["registry", "crane"]);
}

/**
 * What a node needs besides the control-plane binary (which holds the kubelet): the CNI plugins,
 * libseccomp (runc is built with cgo and seccomp), buildah and mmdebstrap from Debian, then
 * containerd, its shim, ctr, runc and crictl from the Go module proxy. Root only.
 */
export function ensureNodePrerequisites(report: Report): void {
  ensureDebianPackages(report, "a node", [
    { pkg: "containernetworking-plugins", present: () => existsSync("/usr/lib/cni/bridge") },
    { pkg: "libseccomp-dev", present: () => existsSync("/usr/include/seccomp.h") },
    // The images: the operator's from its Dockerfile, on stand-in bases made from Debian packages.
    { pkg: "buildah", present: () => onPath("buildah") },
    { pkg: "mmdebstrap", present: () => onPath("mmdebstrap") },
  ]);
  installTools(report, ["containerd", "containerd-shim-runc-v2", "ctr", "runc", "crictl"]);
}
