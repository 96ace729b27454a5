// The test tools' set-up fails loudly, naming the fix: a tool not installed, a machine without Go,
// a tool name the installer does not know.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { toolPath } from "../../support/tools.js";

const installTools = fileURLToPath(new URL("../../../scripts/install-tools.sh", import.meta.url));
let emptyCache: string;
const savedCacheDir = process.env.REGCRED_CACHE_DIR;

beforeEach(() => {
  emptyCache = mkdtempSync(join(tmpdir(), "regcred-empty-cache-"));
});

afterEach(() => {
  if (savedCacheDir === undefined) delete process.env.REGCRED_CACHE_DIR;
  else process.env.REGCRED_CACHE_DIR = savedCacheDir;
  rmSync(emptyCache, { recursive: true, force: true });
});

/** A directory holding the commands install-tools.sh uses besides go, found where `sh` finds them. */
function binWithoutGo(): string {
  const bin = join(emptyCache, "bin");
  mkdirSync(bin);
  for (const command of ["mkdir", "sed", "date", "flock", "rm", "mv", "ln"]) {
    const found = spawnSync("/bin/sh", ["-c", `command -v ${command}`], { encoding: "utf8" }).stdout.trim();
    if (found) symlinkSync(found, join(bin, command));
  }
  return bin;
}

/** install-tools.sh against the empty cache, with no go on PATH. */
function install(args: string[]) {
  const result = spawnSync("/bin/bash", [installTools, ...args], {
    encoding: "utf8",
    env: { PATH: binWithoutGo(), HOME: emptyCache, REGCRED_CACHE_DIR: emptyCache },
  });
  return { status: result.status, stderr: result.stderr };
}

describe("the test tools' set-up", () => {
  it("names the command that builds a tool that is not installed", () => {
    process.env.REGCRED_CACHE_DIR = emptyCache;
    expect(() => toolPath("crane")).toThrow(
      `crane not found at ${join(emptyCache, "tools", "crane")}: npm test builds it on first use; to build it by hand run scripts/install-tools.sh crane`,
    );
  });

  it("stops, saying Go is needed, on a machine without go", () => {
    expect(install(["crane"])).toEqual({
      status: 1,
      stderr: "install-tools: go is not on PATH (needed to build crane); install Go >= 1.26\n",
    });
  });

  it("refuses a tool it does not know, listing those it does", () => {
    expect(install(["kubectl"])).toEqual({
      status: 2,
      stderr:
        'install-tools: unknown tool "kubectl"; known: helm registry crane prometheus promtool containerd containerd-shim-runc-v2 ctr runc crictl\n',
    });
  });
});
