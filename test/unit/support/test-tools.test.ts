// The test tools' set-up fails loudly, naming the fix: a tool not installed, a machine without Go,
// a tool name the installer does not know.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
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

/** install-tools.sh against the empty cache, with only `path` to find commands on. */
function install(args: string[], path: string) {
  const result = spawnSync("/bin/bash", [installTools, ...args], {
    encoding: "utf8",
    env: { PATH: path, HOME: emptyCache, REGCRED_CACHE_DIR: emptyCache },
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
    expect(install(["crane"], "/usr/bin:/bin")).toEqual({
      status: 1,
      stderr: "install-tools: go is not on PATH (needed to build crane); install Go >= 1.26\n",
    });
  });

  it("refuses a tool it does not know, listing those it does", () => {
    expect(install(["kubectl"], "/usr/bin:/bin")).toEqual({
      status: 2,
      stderr: 'install-tools: unknown tool "kubectl"; known: helm registry crane prometheus promtool\n',
    });
  });
});
