import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { cacheRoot } from "../tools.js";

/** The Go module that holds the multi-call control plane binary. */
export const controlPlaneModuleDir = fileURLToPath(new URL("../../controlplane", import.meta.url));

/** Thrown when a prerequisite is missing or the build fails; the message names the missing piece. */
export class ControlPlaneBuildError extends Error {
  override name = "ControlPlaneBuildError";
}

export type ProgressReporter = (line: string) => void;

function goVersion(): string {
  const result = spawnSync("go", ["version"], { encoding: "utf8" });
  if (result.error || result.status !== 0) {
    throw new ControlPlaneBuildError(
      "Go is required to build the test control plane (kube-apiserver, etcd, kube-controller-manager), " +
        `but \`go version\` failed: ${result.error?.message ?? result.stderr.trim()}. ` +
        "Install Go 1.26 or newer and make sure `go` is on PATH.",
    );
  }
  return result.stdout.trim();
}

/** The Kubernetes release that go.mod requires, e.g. "v1.37.2". */
export function kubernetesVersion(): string {
  const goMod = readFileSync(join(controlPlaneModuleDir, "go.mod"), "utf8");
  const match = /^\s*(?:require\s+)?k8s\.io\/kubernetes (v\d+\.\d+\.\d+)\s*$/m.exec(goMod);
  if (!match?.[1])
    throw new ControlPlaneBuildError(`cannot find the k8s.io/kubernetes requirement in go.mod`);
  return match[1];
}

/** A hash of everything that determines the binary: go.mod, go.sum, the Go sources and the Go toolchain. */
export function sourceHash(): string {
  const hash = createHash("sha256");
  hash.update(goVersion());
  const files = readdirSync(controlPlaneModuleDir)
    .filter((name) => name === "go.mod" || name === "go.sum" || name.endsWith(".go"))
    .sort();
  for (const name of files) {
    hash.update(name);
    hash.update(readFileSync(join(controlPlaneModuleDir, name)));
  }
  return hash.digest("hex").slice(0, 16);
}

function versionLdflags(version: string): string {
  const [major, minor] = version.replace(/^v/, "").split(".");
  const pkg = "k8s.io/component-base/version";
  return [
    "-s -w",
    `-X ${pkg}.gitVersion=${version}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
  ].join(" ");
}

function countPackages(): number {
  const result = spawnSync("go", ["list", "-deps", "."], {
    cwd: controlPlaneModuleDir,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new ControlPlaneBuildError(
      `\`go list\` failed in ${controlPlaneModuleDir} (is the Go module proxy reachable?):\n${result.stderr.trim()}`,
    );
  }
  return result.stdout.split("\n").filter(Boolean).length;
}

async function goBuild(output: string, report: ProgressReporter): Promise<void> {
  const total = countPackages();
  report(
    `building the control plane (Kubernetes ${kubernetesVersion()}, ~${total} packages); the first build takes minutes`,
  );
  const child = spawn(
    "go",
    ["build", "-v", "-ldflags", versionLdflags(kubernetesVersion()), "-o", output, "."],
    {
      cwd: controlPlaneModuleDir,
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  const tail: string[] = [];
  let built = 0;
  let lastReport = 0;
  const lines = createInterface({ input: child.stderr });
  lines.on("line", (line) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
    if (!/^[\w.-]+(\/[\w.~+-]+)*$/.test(line)) return;
    built += 1;
    const now = Date.now();
    if (now - lastReport > 5000) {
      lastReport = now;
      report(`  compiled ${built}/${total} packages (${line})`);
    }
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  if (code !== 0) {
    throw new ControlPlaneBuildError(
      `\`go build\` of the control plane failed (exit ${code}):\n${tail.join("\n")}`,
    );
  }
}

/**
 * Returns the path of the control plane binary, building it first if no binary for the current
 * sources is cached. Concurrent callers are safe: each builds to a private file and renames it
 * into place. Throws ControlPlaneBuildError naming what is missing when Go is absent or the build fails.
 */
export async function ensureControlPlaneBinary(report: ProgressReporter = () => {}): Promise<string> {
  const dir = join(cacheRoot(), "controlplane", sourceHash());
  const binary = join(dir, "controlplane");
  if (existsSync(binary)) return binary;

  mkdirSync(dir, { recursive: true });
  const partial = `${binary}.partial-${process.pid}`;
  const started = Date.now();
  try {
    await goBuild(partial, report);
    renameSync(partial, binary);
  } finally {
    rmSync(partial, { force: true });
  }
  report(`built ${binary} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return binary;
}

/**
 * Returns the path of a `kubectl` of the control plane's version: a symlink to the multi-call
 * binary, which dispatches on the name it is invoked under. Builds the binary when needed.
 */
export async function kubectlPath(report: ProgressReporter = () => {}): Promise<string> {
  const binary = await ensureControlPlaneBinary(report);
  const link = join(dirname(binary), "kubectl");
  if (!existsSync(link)) {
    try {
      symlinkSync(binary, link);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  return link;
}
