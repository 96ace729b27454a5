// A real container registry (CNCF distribution 2.8, Debian package docker-registry) with htpasswd
// (bcrypt) auth on a loopback port, holding one tiny image, plus skopeo to talk to it. Used to
// prove that a produced .dockerconfigjson authenticates against a registry.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { gzipSync } from "node:zlib";
import { freePort } from "./controlplane/ports.js";
import { onTerminationSignal, startProcess } from "./controlplane/processes.js";
import { waitFor } from "./wait.js";

/** Where the Debian package docker-registry installs the registry binary. */
export const registryBinaryPath = "/usr/bin/docker-registry";
const installFix =
  "install the Debian packages: apt-get update && apt-get install -y docker-registry skopeo apache2-utils (npm test does this itself when it runs as root)";

export interface Registry {
  /** 127.0.0.1:PORT, as used in image references and dockerconfigjson keys. */
  readonly host: string;
  /** The image pushed at start, as "repository:tag". */
  readonly image: string;
  /** The manifest digest of `image` ("sha256:..."). */
  readonly digest: string;
  /** Stops the registry and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a registry on a free loopback port accepting only `username`/`password` (HTTP basic,
 * bcrypt htpasswd), pushes the image "app:1" into it and resolves. Throws when a binary is
 * missing (naming the fix), or when the registry exits, never answers, or refuses the push (with
 * its log tail). The process is killed on stop(), on exit and on termination signals.
 */
export async function startRegistry(credentials: { username: string; password: string }): Promise<Registry> {
  requireBinaries();
  const dir = mkdtempSync(join(tmpdir(), "regcred-registry-"));
  const stopOnError = async (error: unknown, tail: string) => {
    await stop();
    throw error instanceof Error && !error.message.includes("log tail")
      ? new Error(`${error.message}\ndocker-registry log tail:\n${tail}`)
      : error;
  };

  const htpasswd = await run("htpasswd", ["-niB", credentials.username], `${credentials.password}\n`);
  if (htpasswd.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`htpasswd failed (exit ${htpasswd.code}): ${htpasswd.stderr}`);
  }
  writeFileSync(join(dir, "htpasswd"), htpasswd.stdout, { mode: 0o600 });
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  writeFileSync(join(dir, "config.yml"), registryConfig(dir, host));

  const server = startProcess(
    "docker-registry",
    registryBinaryPath,
    ["serve", join(dir, "config.yml")],
    join(dir, "registry.log"),
  );
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    unregister();
    await server.stop(5_000);
    rmSync(dir, { recursive: true, force: true });
  };
  const unregister = onTerminationSignal(stop);

  let digest = "";
  try {
    await waitFor(
      `docker-registry on ${host} to answer /v2/ with 401`,
      async () => (await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(2_000) })).status === 401,
      {
        timeoutMs: 30_000,
        abort: () =>
          server.hasExited() ? `docker-registry exited; log tail:\n${server.logTail()}` : undefined,
      },
    );
    const layout = join(dir, "oci");
    digest = writeOciLayout(layout, "app:1");
    const pushAuth = join(dir, "push-auth.json");
    writeFileSync(pushAuth, authFile(host, credentials), { mode: 0o600 });
    const push = await run("skopeo", [
      "--insecure-policy",
      "copy",
      "--dest-tls-verify=false",
      "--dest-authfile",
      pushAuth,
      `oci:${layout}:app:1`,
      `docker://${host}/app:1`,
    ]);
    rmSync(pushAuth);
    if (push.code !== 0) throw new Error(`skopeo copy to ${host}/app:1 failed: ${push.stderr}`);
  } catch (error) {
    await stopOnError(error, server.logTail());
  }
  return { host, image: "app:1", digest, stop };
}

/** `skopeo inspect` of docker://host/image with only the credentials in `authfile`. */
export async function skopeoInspect(
  host: string,
  image: string,
  authfile: string,
): Promise<{ ok: boolean; output: string }> {
  const result = await run("skopeo", [
    "inspect",
    "--tls-verify=false",
    "--authfile",
    authfile,
    `docker://${host}/${image}`,
  ]);
  return { ok: result.code === 0, output: `${result.stdout}${result.stderr}` };
}

function requireBinaries(): void {
  const missing = [
    isExecutable(registryBinaryPath) ? undefined : registryBinaryPath,
    ...["skopeo", "htpasswd"].filter((name) => !onPath(name)),
  ].filter(Boolean);
  if (missing.length > 0) throw new Error(`missing ${missing.join(", ")}; ${installFix}`);
}

function onPath(name: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => dir && isExecutable(join(dir, name)));
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function registryConfig(dir: string, host: string): string {
  return [
    "version: 0.1",
    "log:",
    "  level: info",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${join(dir, "storage")}`,
    "http:",
    `  addr: ${host}`,
    `  secret: ${createHash("sha256").update(dir).digest("hex")}`,
    "auth:",
    "  htpasswd:",
    "    realm: regcred-test",
    `    path: ${join(dir, "htpasswd")}`,
    "",
  ].join("\n");
}

/** A docker config.json granting `credentials` on `host`. */
function authFile(host: string, { username, password }: { username: string; password: string }): string {
  const auth = Buffer.from(`${username}:${password}`).toString("base64");
  return JSON.stringify({ auths: { [host]: { auth } } });
}

/**
 * Writes an OCI image layout at `dir` holding one image tagged `ref` (one gzipped layer with one
 * small file) and returns its manifest digest.
 */
function writeOciLayout(dir: string, ref: string): string {
  const blobs = join(dir, "blobs", "sha256");
  mkdirSync(blobs, { recursive: true });
  const putBlob = (mediaType: string, content: Buffer) => {
    const hex = createHash("sha256").update(content).digest("hex");
    writeFileSync(join(blobs, hex), content);
    return { mediaType, digest: `sha256:${hex}`, size: content.length };
  };
  const tar = tarOf("hello.txt", Buffer.from("hello from the registry-credential-operator tests\n"));
  const layer = putBlob("application/vnd.oci.image.layer.v1.tar+gzip", gzipSync(tar));
  const diffId = `sha256:${createHash("sha256").update(tar).digest("hex")}`;
  const config = putBlob(
    "application/vnd.oci.image.config.v1+json",
    Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        config: {},
        rootfs: { type: "layers", diff_ids: [diffId] },
      }),
    ),
  );
  const manifest = putBlob(
    "application/vnd.oci.image.manifest.v1+json",
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config,
        layers: [layer],
      }),
    ),
  );
  writeFileSync(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ ...manifest, annotations: { "org.opencontainers.image.ref.name": ref } }],
    }),
  );
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  return manifest.digest;
}

/** A ustar archive holding one regular file. */
function tarOf(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string) =>
    header.write(value, offset, length, "ascii");
  const octal = (value: number, length: number) => `${value.toString(8).padStart(length - 1, "0")}\0`;
  field(0, 100, name);
  field(100, 8, octal(0o644, 8));
  field(108, 8, octal(0, 8));
  field(116, 8, octal(0, 8));
  field(124, 12, octal(content.length, 12));
  field(136, 12, octal(0, 12));
  field(148, 8, " ".repeat(8));
  field(156, 1, "0");
  field(257, 8, "ustar\x0000");
  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  field(148, 8, `${checksum.toString(8).padStart(6, "0")}\0 `);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

/** Runs a command to completion, feeding `input` on stdin; never throws for a non-zero exit. */
function run(
  command: string,
  args: string[],
  input = "",
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ code: `spawn error: ${error.message}`, stdout, stderr });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? "unknown", stdout, stderr });
    });
    child.stdin.end(input);
  });
}
