// A real container registry (CNCF distribution 3, built from the Go module proxy) with htpasswd
// (bcrypt) auth on a loopback port, holding one tiny image, plus crane (go-containerregistry) to
// talk to it with a docker config file. Used to prove that a produced .dockerconfigjson
// authenticates against a registry.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { freePort } from "./controlplane/ports.js";
import { onTerminationSignal, startProcess } from "./controlplane/processes.js";
import { type ImageSpec, writeOciLayout } from "./oci-image.js";
import { toolPath } from "./tools.js";
import { waitFor } from "./wait.js";

/** The default image: one small file, nothing to run. */
const helloImage: ImageSpec = {
  files: [{ path: "hello.txt", content: Buffer.from("hello from the registry-credential-operator tests\n") }],
};

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
 * bcrypt htpasswd), pushes `image` into it as `reference` (default "app:1") and resolves. Throws when a tool is not
 * installed (naming the fix), or when the registry exits, never answers, or refuses the push
 * (with its log tail). The process is killed on stop(), on exit and on termination signals.
 */
export async function startRegistry(
  credentials: { username: string; password: string },
  image: ImageSpec = helloImage,
  reference = "app:1",
): Promise<Registry> {
  const registryBinary = toolPath("registry");
  toolPath("crane");
  const hash = await bcrypt.hash(credentials.password, 10);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "regcred-registry-"));
  const stopOnError = async (error: unknown, tail: string) => {
    await stop();
    throw error instanceof Error && !error.message.includes("log tail")
      ? new Error(`${error.message}\nregistry log tail:\n${tail}`)
      : error;
  };

  writeFileSync(join(dir, "htpasswd"), `${credentials.username}:${hash}\n`, { mode: 0o600 });
  const host = `127.0.0.1:${port}`;
  writeFileSync(join(dir, "config.yml"), registryConfig(dir, host));

  const server = startProcess(
    "registry",
    registryBinary,
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
      `the registry on ${host} to answer /v2/ with 401`,
      async () => (await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(2_000) })).status === 401,
      {
        timeoutMs: 30_000,
        abort: () => (server.hasExited() ? `the registry exited; log tail:\n${server.logTail()}` : undefined),
      },
    );
    const layout = join(dir, "oci");
    digest = writeOciLayout(layout, reference, image);
    const push = await crane(["push", layout, `${host}/${reference}`], authFile(host, credentials));
    if (push.code !== 0) throw new Error(`crane push to ${host}/${reference} failed: ${push.stderr}`);
  } catch (error) {
    await stopOnError(error, server.logTail());
  }
  return { host, image: reference, digest, stop };
}

/**
 * `crane digest` of host/image with only the credentials in `dockerConfig` (a config.json's
 * text): ok with the digest as output, or not ok with crane's error.
 */
export async function craneDigest(
  host: string,
  image: string,
  dockerConfig: string,
): Promise<{ ok: boolean; output: string }> {
  const result = await crane(["digest", `${host}/${image}`], dockerConfig);
  return { ok: result.code === 0, output: `${result.stdout}${result.stderr}` };
}

/** Runs crane over plain HTTP with `dockerConfig` as its only docker config. */
async function crane(args: string[], dockerConfig: string) {
  const configDir = mkdtempSync(join(tmpdir(), "regcred-crane-"));
  writeFileSync(join(configDir, "config.json"), dockerConfig, { mode: 0o600 });
  try {
    return await run(toolPath("crane"), [...args, "--insecure"], {
      PATH: process.env.PATH ?? "",
      HOME: configDir,
      DOCKER_CONFIG: configDir,
    });
  } finally {
    rmSync(configDir, { recursive: true, force: true });
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

/** Runs a command to completion in `env`; never throws for a non-zero exit. */
function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env });
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
  });
}
