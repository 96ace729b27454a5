// Builds the External Secrets Operator controller from the Go module proxy, newest release first,
// and caches the binary under the test tools cache: a version that cannot be fetched whole or built
// is recorded with the reason, so the next run skips it without asking the proxy again.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { cacheRoot } from "../../test/support/tools.js";

const esoModule = "github.com/external-secrets/external-secrets";

/** Thrown when no release of ESO could be fetched and built; the message lists each version's failure. */
class EsoBuildError extends Error {
  override name = "EsoBuildError";
}

export interface EsoBinary {
  path: string;
  version: string;
  /** The module's directory in the Go module cache (CRDs, sources). */
  moduleDir: string;
  /** "v1.3.2: <why it failed>" for every newer release that was tried and given up. */
  skipped: string[];
}

type Report = (line: string) => void;

/** A release whose module zip lacks what it needs: permanent, so the reason is cached. */
class NotServedWhole extends Error {}

/** The proxies from GOPROXY without "direct" and "off": fetching from version control is not possible here. */
function proxyOnly(): string {
  const configured = go(["env", "GOPROXY"]).stdout.trim() || "https://proxy.golang.org";
  const proxies = configured.split(/[,|]/).filter((p) => p !== "direct" && p !== "off" && p !== "");
  return proxies.join(",") || "https://proxy.golang.org";
}

function goEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GOPROXY: proxyOnly(), GOFLAGS: "-mod=mod", GOTOOLCHAIN: "local" };
}

function go(args: string[], cwd?: string, env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync("nice", ["-n", "10", "go", ...args], {
    cwd,
    env,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw new EsoBuildError(`cannot run go: ${result.error.message}`);
  return { ok: result.status === 0, stdout: result.stdout, stderr: result.stderr.trim() };
}

/** The releases the proxy lists for ESO, newest first (pre-releases left out). */
function releases(): string[] {
  const listed = go(["list", "-m", "-versions", esoModule], undefined, goEnv());
  if (!listed.ok) throw new EsoBuildError(`\`go list -m -versions ${esoModule}\` failed: ${listed.stderr}`);
  const versions = listed.stdout.trim().split(/\s+/).slice(1);
  const parse = (v: string) => v.replace(/^v/, "").split(".").map(Number);
  return versions
    .filter((v) => /^v\d+\.\d+\.\d+$/.test(v))
    .sort((a, b) => {
      const [x, y] = [parse(a), parse(b)];
      for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (y[i] ?? 0) - (x[i] ?? 0);
      return 0;
    });
}

function goVersionKey(): string {
  return createHash("sha256")
    .update(go(["version"]).stdout.trim())
    .digest("hex")
    .slice(0, 12);
}

interface Replace {
  from: string;
  to: string;
}

/** The replace directives of a go.mod, single-line and block form. */
function replaces(goMod: string): Replace[] {
  const lines: string[] = [];
  const block = /^replace\s*\(\n([\s\S]*?)^\)/gm;
  for (const match of goMod.matchAll(block)) lines.push(...(match[1] as string).split("\n"));
  for (const match of goMod.matchAll(/^replace\s+([^(\n].*)$/gm)) lines.push(match[1] as string);
  return lines
    .map((line) => line.replace(/\/\/.*$/, "").trim())
    .filter((line) => line.includes("=>"))
    .map((line) => {
      const [from, to] = line.split("=>").map((part) => part.trim()) as [string, string];
      return { from, to };
    });
}

function download(path: string, version: string): { dir?: string; error?: string } {
  const result = go(["mod", "download", "-json", `${path}@${version}`], undefined, goEnv());
  try {
    const info = JSON.parse(result.stdout) as { Dir?: string; Error?: string };
    return info.Error ? { error: info.Error } : { dir: info.Dir };
  } catch {
    return { error: result.stderr || "go mod download printed no JSON" };
  }
}

/**
 * Writes the wrapper module for one release into dir: it requires ESO, repeats ESO's own replace
 * directives (which do not apply to a dependency) and resolves the dependency graph. Throws
 * NotServedWhole when the release needs modules the proxy does not serve, an Error when `go get` fails.
 */
function writeWrapper(dir: string, version: string, moduleDir: string): void {
  const goMod = readFileSync(join(moduleDir, "go.mod"), "utf8");
  const local = replaces(goMod).filter((r) => r.to.startsWith("./") || r.to.startsWith("../"));
  const missing = local.filter((r) => !existsSync(join(moduleDir, r.to)));
  if (missing.length > 0) {
    // A nested module left out of the zip: the proxy must serve it as a module of its own.
    const first = missing[0] as Replace;
    const nested = download(first.from.split(/\s+/)[0] as string, version);
    if (nested.error)
      throw new NotServedWhole(
        `its go.mod replaces ${missing.length} nested modules with local directories ` +
          `(${missing
            .slice(0, 3)
            .map((r) => r.to)
            .join(", ")}, …) that the module zip leaves out, and the proxy does not serve them ` +
          `as modules (${nested.error.split("\n")[0]})`,
      );
  }
  const goLine = /^go\s+(\S+)/m.exec(goMod)?.[1] ?? "1.24";
  const godebug = /^godebug\s+.*$/m.exec(goMod)?.[0];
  const kept = replaces(goMod).filter((r) => !local.includes(r));
  const wrapper = [
    "module regcred.bench/eso-build",
    "",
    `go ${goLine}`,
    ...(godebug ? ["", godebug] : []),
    "",
    ...kept.map((r) => `replace ${r.from} => ${r.to}`),
    "",
    `require ${esoModule} ${version}`,
    "",
  ].join("\n");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "go.mod"), wrapper);
  rmSync(join(dir, "go.sum"), { force: true });
  const got = go(["get", `${esoModule}@${version}`], dir, goEnv());
  if (!got.ok) throw new Error(`\`go get ${esoModule}@${version}\` failed: ${tail(got.stderr, 8)}`);
}

function tail(text: string, lines: number): string {
  return text.split("\n").slice(-lines).join("\n");
}

async function goBuild(dir: string, output: string, version: string, report: Report): Promise<void> {
  const deps = go(["list", "-deps", esoModule], dir, goEnv());
  if (!deps.ok) throw new Error(`\`go list -deps ${esoModule}\` failed: ${tail(deps.stderr, 8)}`);
  const total = deps.stdout.split("\n").filter(Boolean).length;
  report(`building ESO ${version} (~${total} packages, niced, -p 2); the first build takes many minutes`);
  const child = spawn(
    "nice",
    ["-n", "10", "go", "build", "-p", "2", "-v", "-trimpath", "-ldflags", "-s -w", "-o", output, esoModule],
    { cwd: dir, env: goEnv(), stdio: ["ignore", "ignore", "pipe"] },
  );
  const lines: string[] = [];
  let built = 0;
  let lastReport = 0;
  createInterface({ input: child.stderr }).on("line", (line) => {
    lines.push(line);
    if (lines.length > 40) lines.shift();
    if (!/^[\w.-]+(\/[\w.~+-]+)*$/.test(line)) return;
    built++;
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      report(`  compiled ${built}/${total} packages (${line})`);
    }
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  if (code !== 0) throw new Error(`\`go build\` failed (exit ${code}):\n${lines.join("\n")}`);
}

/**
 * Returns the newest ESO release that the module proxy serves whole and that builds, building it
 * (minutes on two cores) unless its binary is cached for this Go toolchain. A release found not
 * served whole before is skipped with its recorded reason; one that failed to resolve or compile is
 * tried again next time. Throws EsoBuildError listing every failure when none builds.
 */
export async function ensureEsoBinary(report: Report = () => {}): Promise<EsoBinary> {
  const skipped: string[] = [];
  const goKey = goVersionKey();
  for (const version of releases()) {
    const dir = join(cacheRoot(), "eso", `${version}-go${goKey}`);
    const binary = join(dir, "external-secrets");
    const failed = join(dir, "failed.txt");
    if (existsSync(failed)) {
      skipped.push(`${version}: ${readFileSync(failed, "utf8").trim()} (recorded in ${failed})`);
      continue;
    }
    const fetched = download(esoModule, version);
    if (!fetched.dir) {
      const reason = `the proxy does not serve it: ${fetched.error}`;
      skipped.push(`${version}: ${reason}`);
      report(`ESO ${version}: ${reason}`);
      continue;
    }
    if (existsSync(binary)) return { path: binary, version, moduleDir: fetched.dir, skipped };
    const partial = `${binary}.partial-${process.pid}`;
    try {
      report(`ESO ${version}: preparing the wrapper module in ${join(dir, "module")}`);
      writeWrapper(join(dir, "module"), version, fetched.dir);
      const started = Date.now();
      await goBuild(join(dir, "module"), partial, version, report);
      renameSync(partial, binary);
      report(`built ${binary} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      return { path: binary, version, moduleDir: fetched.dir, skipped };
    } catch (error) {
      const reason = (error as Error).message;
      if (error instanceof NotServedWhole) {
        mkdirSync(dir, { recursive: true });
        writeFileSync(failed, `${reason}\n`);
      }
      skipped.push(`${version}: ${reason}`);
      report(`ESO ${version} given up: ${reason.split("\n")[0]}`);
    } finally {
      rmSync(partial, { force: true });
    }
  }
  throw new EsoBuildError(`no release of ${esoModule} could be built:\n${skipped.join("\n")}`);
}
