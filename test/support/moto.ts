// moto_server (https://github.com/getmoto/moto) from the project venv, as a local AWS for
// integration tests. ECR and STS are served on the same endpoint.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./controlplane/ports.js";
import { onTerminationSignal, startProcess } from "./controlplane/processes.js";
import { waitFor } from "./wait.js";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
/** Where the test set-up (setup/prerequisites.ts) installs moto[server] from test/requirements.txt. */
export const motoServerPath = join(repoRoot, ".venv", "bin", "moto_server");

export interface Moto {
  /** http://127.0.0.1:PORT, for the SDK's `endpoint` option. */
  readonly endpoint: string;
  /** Stops the server and removes its log directory. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts moto_server on a free loopback port and resolves once it answers HTTP. Throws when the
 * venv lacks moto_server (naming the fix), or when the server exits or stays silent for 30 s
 * (with its log tail). The process is killed on stop(), on exit and on termination signals.
 */
export async function startMoto(): Promise<Moto> {
  if (!existsSync(motoServerPath)) {
    throw new Error(
      `${motoServerPath} is missing; install moto into the project venv: cd ${repoRoot} && python3 -m venv .venv && .venv/bin/pip install -r test/requirements.txt`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "regcred-moto-"));
  const port = await freePort();
  const server = startProcess(
    "moto_server",
    motoServerPath,
    ["-H", "127.0.0.1", "-p", String(port)],
    join(dir, "moto.log"),
  );
  const endpoint = `http://127.0.0.1:${port}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    unregister();
    await server.stop(5_000);
    rmSync(dir, { recursive: true, force: true });
  };
  const unregister = onTerminationSignal(stop);
  try {
    await waitFor(
      `moto_server on ${endpoint}`,
      async () => (await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2_000) })).ok,
      {
        timeoutMs: 30_000,
        abort: () => (server.hasExited() ? `moto_server exited; log tail:\n${server.logTail()}` : undefined),
      },
    );
  } catch (error) {
    const tail = server.logTail();
    await stop();
    throw error instanceof Error && !error.message.includes("log tail")
      ? new Error(`${error.message}\nmoto_server log tail:\n${tail}`)
      : error;
  }
  return { endpoint, stop };
}
