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
import type { JSONWebKeySet } from "jose";
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
  const hash = await bcrypt.hash(credentials.password, 10);
  return launchRegistry(
    (dir) => {
      writeFileSync(join(dir, "htpasswd"), `${credentials.username}:${hash}\n`, { mode: 0o600 });
      return { htpasswd: join(dir, "htpasswd") };
    },
    image,
    reference,
    credentials,
  );
}

/** What a registry in token-auth mode trusts: the token service's realm, names and keys. */
export interface TokenAuth {
  realm: string;
  service: string;
  issuer: string;
  jwks: JSONWebKeySet;
}

/**
 * Starts a registry in token-auth mode (the distribution token spec: a 401 Bearer challenge naming
 * `realm` and `service`, then JWTs from `issuer` signed by a key of `jwks` whose `access` claim
 * grants the repository). `image` is pushed first while the registry runs without auth, then it
 * restarts with token auth on the same port and storage.
 */
export async function startTokenAuthRegistry(
  auth: TokenAuth,
  image: ImageSpec = helloImage,
  reference = "app:1",
): Promise<Registry> {
  return launchRegistry(
    (dir) => {
      writeFileSync(join(dir, "jwks.json"), JSON.stringify(auth.jwks));
      return { token: { ...auth, jwksPath: join(dir, "jwks.json") } };
    },
    image,
    reference,
  );
}

type RegistryAuth = { htpasswd: string } | { token: Omit<TokenAuth, "jwks"> & { jwksPath: string } };

/**
 * Starts a registry whose auth `prepare` writes into its directory, pushes `image` as `reference`
 * (with `pushLogin`, or before auth is enabled when there is none), and resolves once /v2/ answers
 * 401. Throws with the log tail when the registry exits, never answers, or refuses the push.
 */
async function launchRegistry(
  prepare: (dir: string) => RegistryAuth,
  image: ImageSpec,
  reference: string,
  pushLogin?: { username: string; password: string },
): Promise<Registry> {
  const registryBinary = toolPath("registry");
  toolPath("crane");
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "regcred-registry-"));
  const host = `127.0.0.1:${port}`;
  const auth = prepare(dir);
  let server: ReturnType<typeof startProcess> | undefined;
  const run = async (withAuth: RegistryAuth | undefined) => {
    writeFileSync(join(dir, "config.yml"), registryConfig(dir, host, withAuth));
    server = startProcess(
      "registry",
      registryBinary,
      ["serve", join(dir, "config.yml")],
      join(dir, "registry.log"),
    );
    const running = server;
    const expected = withAuth ? 401 : 200;
    await waitFor(
      `the registry on ${host} to answer /v2/ with ${expected}`,
      async () =>
        (await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(2_000) })).status === expected,
      {
        timeoutMs: 30_000,
        abort: () =>
          running.hasExited() ? `the registry exited; log tail:\n${running.logTail()}` : undefined,
      },
    );
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    unregister();
    await server?.stop(5_000);
    rmSync(dir, { recursive: true, force: true });
  };
  const unregister = onTerminationSignal(stop);

  let digest = "";
  try {
    const pushFirst = !pushLogin;
    await run(pushFirst ? undefined : auth);
    const layout = join(dir, "oci");
    digest = writeOciLayout(layout, reference, image);
    const push = await crane(
      ["push", layout, `${host}/${reference}`],
      pushLogin ? authFile(host, pushLogin) : JSON.stringify({ auths: {} }),
    );
    if (push.code !== 0) throw new Error(`crane push to ${host}/${reference} failed: ${push.stderr}`);
    if (pushFirst) {
      await server?.stop(5_000);
      await run(auth);
    }
  } catch (error) {
    const tail = server?.logTail() ?? "";
    await stop();
    throw error instanceof Error && !error.message.includes("log tail")
      ? new Error(`${error.message}\nregistry log tail:\n${tail}`)
      : error;
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

function registryConfig(dir: string, host: string, auth: RegistryAuth | undefined): string {
  const authLines =
    auth === undefined
      ? []
      : "htpasswd" in auth
        ? ["auth:", "  htpasswd:", "    realm: regcred-test", `    path: ${auth.htpasswd}`]
        : [
            "auth:",
            "  token:",
            `    realm: ${auth.token.realm}`,
            `    service: ${auth.token.service}`,
            `    issuer: ${JSON.stringify(auth.token.issuer)}`,
            `    jwks: ${auth.token.jwksPath}`,
            "    signingalgorithms: [ES256]",
          ];
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
    ...authLines,
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
