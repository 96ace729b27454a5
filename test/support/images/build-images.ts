// The operator's image, built with buildah from the shipped Dockerfile (never a test copy of it),
// on stand-ins for its two base images made from Debian packages and the pinned Node: nothing is
// pulled from a container registry. Base root filesystems are cached by suite and package list;
// buildah keeps its storage under the tool cache, not in /var/lib/containers.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ProgressReporter } from "../controlplane/build.js";
import { cacheRoot, toolPath } from "../tools.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const debianMirror = "http://deb.debian.org/debian";
const suite = "bookworm";
/** The host's CA bundle: registries are reached through a TLS-intercepting proxy here. */
const caBundle = "/etc/ssl/certs/ca-certificates.crt";

/** A base stand-in: a Debian root filesystem plus what the real image adds, under its real name. */
interface BaseImage {
  name: string;
  variant: "minbase" | "extract";
  packages: string[];
  containerfile: string;
  /** Files to place in the build context besides rootfs.tar. */
  context(dir: string): void;
}

const pinnedNode = join(repoRoot, "node_modules", "node", "bin", "node");

const baseImages: BaseImage[] = [
  {
    name: "docker.io/library/node:24-slim",
    variant: "minbase",
    packages: ["ca-certificates"],
    context(dir) {
      cpSync(pinnedNode, join(dir, "node"));
      cpSync(npmDirectory(), join(dir, "npm"), { recursive: true });
      cpSync(caBundle, join(dir, "ca.crt"));
    },
    containerfile: `FROM scratch
ADD rootfs.tar /
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && node --version && npm --version
COPY ca.crt /etc/ssl/certs/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["node"]
`,
  },
  {
    name: "gcr.io/distroless/nodejs24-debian12:nonroot",
    variant: "extract",
    packages: ["libc6", "libgcc-s1", "libstdc++6", "tzdata", "netbase"],
    context(dir) {
      cpSync(pinnedNode, join(dir, "node"));
      cpSync(caBundle, join(dir, "ca.crt"));
      mkdirSync(join(dir, "etc"));
      writeFileSync(
        join(dir, "etc", "passwd"),
        "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
      );
      writeFileSync(join(dir, "etc", "group"), "root:x:0:\nnonroot:x:65532:\n");
    },
    containerfile: `FROM scratch
ADD rootfs.tar /
COPY etc/passwd etc/group /etc/
COPY ca.crt /etc/ssl/certs/ca-certificates.crt
COPY --chown=65532:65532 etc/group /home/nonroot/.keep
COPY node /nodejs/bin/node
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65532:65532
WORKDIR /home/nonroot
ENTRYPOINT ["/nodejs/bin/node"]
`,
  },
];

/** The package directory of the npm on PATH (bin/npm-cli.js's grandparent), for the build-stage stand-in. */
function npmDirectory(): string {
  const cli = realpathSync(must("sh", ["-c", "command -v npm"]));
  const dir = dirname(dirname(cli));
  if (!existsSync(join(dir, "package.json"))) throw new Error(`npm's package directory is not at ${dir}`);
  return dir;
}

function must(command: string, args: string[], cwd?: string): string {
  const result = spawnSync(command, args, { encoding: "utf8", cwd, maxBuffer: 64 * 1024 * 1024 });
  if (result.error || result.status !== 0)
    throw new Error(
      `${command} ${args.join(" ")} failed: ${result.error?.message ?? `${result.stdout}${result.stderr}`.trim().slice(-4000)}`,
    );
  return result.stdout.trim();
}

/** buildah's arguments with its storage under the tool cache. */
function buildahArgs(args: string[]): string[] {
  const root = join(cacheRoot(), "buildah");
  return ["--root", join(root, "storage"), "--runroot", join(root, "run"), ...args];
}

function buildah(args: string[], cwd?: string): string {
  return must("buildah", buildahArgs(args), cwd);
}

/** The root filesystem tar of a base, from the cache or made by mmdebstrap. */
function rootfs(base: BaseImage, report: ProgressReporter): string {
  const key = createHash("sha256")
    .update(`${suite} ${base.variant} ${base.packages.join(",")}`)
    .digest("hex")
    .slice(0, 16);
  const dir = join(cacheRoot(), "rootfs");
  const tar = join(dir, `${key}.tar`);
  if (existsSync(tar)) return tar;
  mkdirSync(dir, { recursive: true });
  report(`making the ${base.name} stand-in's root filesystem with mmdebstrap (${base.packages.join(", ")})`);
  // mmdebstrap picks the output format from the extension.
  const partial = join(dir, `${key}.partial-${process.pid}.tar`);
  must("mmdebstrap", [
    "--quiet",
    `--variant=${base.variant}`,
    `--include=${base.packages.join(",")}`,
    suite,
    partial,
    debianMirror,
  ]);
  renameSync(partial, tar);
  return tar;
}

/**
 * Builds the base stand-ins (when missing) and the operator image from the Dockerfile of `source`
 * (a source tree: this checkout, or an earlier release's from releaseSource), and returns the
 * operator image's local name. Throws with buildah's output when a step fails.
 */
export function buildOperatorImage(report: ProgressReporter = () => {}, source = repoRoot): string {
  for (const base of baseImages) {
    if (spawnSync("buildah", buildahArgs(["inspect", "--type", "image", base.name])).status === 0) continue;
    const context = mkdtempSync(join(tmpdir(), "regcred-base-"));
    try {
      cpSync(rootfs(base, report), join(context, "rootfs.tar"));
      base.context(context);
      writeFileSync(join(context, "Containerfile"), base.containerfile);
      report(`building the ${base.name} stand-in with buildah`);
      buildImage(base.name, "Containerfile", context);
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
  }
  // Tagged by what the build reads (the .dockerignore admits only these), so an unchanged tree
  // reuses the image it built last time.
  const name = `localhost/regcred/operator:${buildContextHash(source)}`;
  if (spawnSync("buildah", buildahArgs(["inspect", "--type", "image", name])).status === 0) {
    markUsed(name);
    return name;
  }
  report("building the operator image from the Dockerfile with buildah (npm ci inside: about a minute)");
  buildImage(name, "Dockerfile", source);
  markUsed(name);
  pruneOperatorImages(name);
  return name;
}

/**
 * `buildah build` of `containerfile` in `context` as `tag`, with runc (crun fails on this
 * machine's hybrid cgroups), from local images only. Throws with buildah's output.
 */
function buildImage(tag: string, containerfile: string, context: string): void {
  buildah(
    [
      "build",
      "--runtime",
      toolPath("runc"),
      "--pull=never",
      "--network",
      "host",
      "--layers=false",
      "-t",
      tag,
      "-f",
      containerfile,
      ".",
    ],
    context,
  );
}

/** Where the last use of each operator image is recorded (a file's mtime), for pruning. */
const usedDir = () => join(cacheRoot(), "buildah", "used");

function markUsed(name: string): void {
  mkdirSync(usedDir(), { recursive: true });
  writeFileSync(join(usedDir(), name.replace(/[^A-Za-z0-9.-]/g, "_")), "");
}

/** When `name` was last used (0 when never recorded). */
function lastUsed(name: string): number {
  try {
    return statSync(join(usedDir(), name.replace(/[^A-Za-z0-9.-]/g, "_"))).mtimeMs;
  } catch {
    return 0;
  }
}

/** Operator images kept in the cache, the most recently used: this tree's, an earlier release's, a few others. */
const keptOperatorImages = 4;

/**
 * Removes all but the most recently used operator images (and every untagged image), so the
 * cache does not grow by an image per source change. Never removes `current`. Failures are ignored.
 */
function pruneOperatorImages(current: string): void {
  const listed = spawnSync("buildah", buildahArgs(["images", "--json"]), { encoding: "utf8" });
  if (listed.status !== 0) return;
  const images = (
    JSON.parse(listed.stdout || "[]") as { id: string; names: string[] | null; created: number }[]
  )
    .filter((image) => image.names?.some((n) => n.startsWith("localhost/regcred/operator:")))
    .map((image) => ({
      ...image,
      used: Math.max(...(image.names ?? []).map(lastUsed), image.created * 1000),
    }))
    .sort((a, b) => b.used - a.used);
  for (const image of images.slice(keptOperatorImages))
    if (!image.names?.includes(current)) spawnSync("buildah", buildahArgs(["rmi", "-f", image.id]));
  spawnSync("buildah", buildahArgs(["rmi", "--prune"]));
}

/** A hash of the Dockerfile and every file its build context admits, for the image's tag. */
function buildContextHash(source: string): string {
  const hash = createHash("sha256");
  const files = [
    "Dockerfile",
    ".dockerignore",
    "package.json",
    "package-lock.json",
    "tsconfig.json",
    "tsconfig.build.json",
    "scripts/bundle.ts",
    "scripts/build-operator.ts",
  ];
  const sources = readdirSync(join(source, "src"), { recursive: true, encoding: "utf8" })
    .map((file) => join("src", file))
    .filter((file) => statSync(join(source, file)).isFile());
  // An earlier release's tree may lack files added since (its Dockerfile does not read them).
  for (const file of [...files.filter((f) => existsSync(join(source, f))), ...sources.sort()]) {
    hash.update(file);
    hash.update(readFileSync(join(source, file)));
  }
  return hash.digest("hex").slice(0, 16);
}

/** Pushes a locally built image to a registry on loopback (plain HTTP) with a login. */
export function pushImage(
  local: string,
  remote: string,
  login: { username: string; password: string },
): void {
  // The login goes in a file of its own (never on a command line, which errors and /proc show).
  const dir = mkdtempSync(join(tmpdir(), "regcred-push-"));
  try {
    const authFile = join(dir, "auth.json");
    const host = remote.split("/")[0] as string;
    const auth = Buffer.from(`${login.username}:${login.password}`).toString("base64");
    writeFileSync(authFile, JSON.stringify({ auths: { [host]: { auth } } }), { mode: 0o600 });
    buildah(["push", "--tls-verify=false", "--authfile", authFile, local, `docker://${remote}`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
