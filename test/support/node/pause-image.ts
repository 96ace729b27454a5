// The node's sandbox image, registry.k8s.io/pause, built from the pause.c that ships in the
// k8s.io/kubernetes module (nothing is pulled): a static binary in a one-layer image.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { kubernetesVersion } from "../controlplane/build.js";
import { type ImageSpec, writeOciLayout } from "../oci-image.js";
import { pauseImage } from "./node-config.js";

function must(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: "utf8" });
  if (result.error || result.status !== 0)
    throw new Error(`${command} ${args.join(" ")} failed: ${result.error?.message ?? result.stderr.trim()}`);
  return result.stdout.trim();
}

/**
 * The pause image's content, built under `dir`: a container that starts and sleeps, which makes it
 * the tests' smallest runnable image too.
 */
export function pauseImageSpec(dir: string): ImageSpec {
  const source = join(
    must("go", ["env", "GOMODCACHE"]),
    `k8s.io/kubernetes@${kubernetesVersion()}`,
    "build/pause/linux/pause.c",
  );
  const binary = join(dir, "pause");
  must("gcc", ["-Os", "-static", "-DVERSION=v3.10-regcred", "-o", binary, source]);
  return {
    files: [{ path: "pause", content: readFileSync(binary), mode: 0o755 }],
    entrypoint: ["/pause"],
    user: "65535:65535",
  };
}

/** Builds the pause image under `dir` and returns the path of its OCI archive (for ctr import). */
export function pauseImageArchive(dir: string): string {
  const layout = join(dir, "pause-layout");
  writeOciLayout(layout, pauseImage, pauseImageSpec(dir));
  const archive = join(dir, "pause.tar");
  must("tar", ["-C", layout, "-cf", archive, "."]);
  return archive;
}
