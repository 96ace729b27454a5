// Where the test tools live: the user cache that the control plane build and
// scripts/install-tools.sh fill, so that a second run starts warm.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** The tools scripts/install-tools.sh builds from the Go module proxy. */
export type Tool =
  | "helm"
  | "registry"
  | "crane"
  | "prometheus"
  | "promtool"
  | "containerd"
  | "containerd-shim-runc-v2"
  | "ctr"
  | "runc"
  | "crictl";

/** $REGCRED_CACHE_DIR, else $XDG_CACHE_HOME (or ~/.cache)/registry-credential-operator. */
export function cacheRoot(): string {
  return (
    process.env.REGCRED_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "registry-credential-operator")
  );
}

/** The path of an installed tool; throws naming the fix when it is not installed. */
export function toolPath(tool: Tool): string {
  const path = join(cacheRoot(), "tools", tool);
  if (!existsSync(path))
    throw new Error(
      `${tool} not found at ${path}: npm test builds it on first use; to build it by hand run scripts/install-tools.sh ${tool}`,
    );
  return path;
}
