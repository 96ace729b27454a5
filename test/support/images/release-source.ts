// The source tree of an earlier release, for upgrade tests: its chart, CRDs and Dockerfile build
// context, taken from this repository's history.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cacheRoot } from "../tools.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** v0.1.0: the first release (chart 0.1.0, image 0.1.0). */
export const previousRelease = { version: "0.1.0", commit: "fcabf31" } as const;

/**
 * The tree of `commit`, extracted once into the cache (`<cache>/releases/<commit>`), and its path.
 * Throws naming the fix when this clone lacks the commit (a shallow clone).
 */
export function releaseSource(commit: string): string {
  const dir = join(cacheRoot(), "releases", commit);
  if (existsSync(join(dir, ".complete"))) return dir;
  const known = spawnSync("git", ["-C", repoRoot, "cat-file", "-e", `${commit}^{commit}`]);
  if (known.status !== 0)
    throw new Error(
      `commit ${commit} (the previous release) is not in this clone; fetch the full history (git fetch --unshallow)`,
    );
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const archive = spawnSync("git", ["-C", repoRoot, "archive", "--format=tar", commit], {
    maxBuffer: 1 << 30,
  });
  if (archive.status !== 0) throw new Error(`git archive ${commit} failed: ${archive.stderr}`);
  const tar = spawnSync("tar", ["-x", "-C", partial], { input: archive.stdout });
  if (tar.status !== 0) throw new Error(`extracting ${commit} failed: ${tar.stderr}`);
  writeFileSync(join(partial, ".complete"), `${commit}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  return dir;
}
