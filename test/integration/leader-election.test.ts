// Two operator processes (real `src/main.ts`, leader election on, short timings) against the real
// control plane: exactly one reconciles, and leadership moves on SIGKILL, SIGTERM (released Lease)
// and SIGSTOP; a leader resumed after losing the Lease exits without reconciling again.
// Each test has its own namespaces (so its own Lease) and its own processes.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { freePort } from "../support/controlplane/ports.js";
import { type ManagedProcess, startProcess } from "../support/controlplane/processes.js";
import { ecrWithStaticKeys, RegistryCredentials, registryCredential } from "../support/fixtures.js";
import { testEnvironmentKeys } from "../support/jest/environment.js";
import { adminKubeConfig, createNamespace, uniqueName } from "../support/kube.js";
import { scratchDir } from "../support/scratch.js";
import { waitFor } from "../support/wait.js";

const timeout = 120_000;
const leaseDurationMs = 4_000;
const logDir = scratchDir("regcred-leader");

let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let coordination: k8s.CoordinationV1Api;
const namespaces: string[] = [];
const processes: ManagedProcess[] = [];

interface Replica {
  name: string;
  process: ManagedProcess;
  metricsPort: number;
  /** holderIdentity, from the "operator ready" log line. */
  identity: string;
}

interface LogLine {
  msg?: string;
  identity?: string;
  [key: string]: unknown;
}

function logLines(replica: Pick<Replica, "process">): LogLine[] {
  let text = "";
  try {
    text = readFileSync(replica.process.logFile, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        return {};
      }
    });
}

function logged(replica: Pick<Replica, "process">, message: string): boolean {
  return logLines(replica).some((line) => line.msg === message);
}

async function startReplica(
  name: string,
  operatorNamespace: string,
  watchNamespace: string,
): Promise<Replica> {
  const kubeconfig = process.env[testEnvironmentKeys.kubeconfig] as string;
  const metricsPort = await freePort();
  // Node itself (with tsx as a loader), not the tsx CLI, which runs the program in a child process:
  // the signals this test sends must reach the operator, not a wrapper.
  const child = startProcess(
    name,
    process.execPath,
    [
      "--import",
      "tsx",
      "src/main.ts",
      "--kubeconfig",
      kubeconfig,
      "--leader-elect",
      "--operator-namespace",
      operatorNamespace,
      "--namespace",
      watchNamespace,
      "--metrics-bind-address",
      `127.0.0.1:${metricsPort}`,
      "--lease-duration",
      "4s",
      "--renew-deadline",
      "3s",
      "--retry-period",
      "1s",
      "--log-level",
      "info",
    ],
    join(logDir, `${name}.log`),
  );
  processes.push(child);
  let identity = "";
  await waitFor(
    `${name} to be ready`,
    async () => {
      const ready = logLines({ process: child }).find((l) => l.msg?.startsWith("operator ready"));
      identity = ready?.identity ?? "";
      return identity !== "";
    },
    { timeoutMs: 60_000, abort: () => (child.hasExited() ? `exited:\n${child.logTail()}` : undefined) },
  );
  return { name, process: child, metricsPort, identity };
}

async function lease(namespace: string): Promise<k8s.V1Lease | undefined> {
  try {
    return await coordination.readNamespacedLease({ namespace, name: "registry-credential-operator" });
  } catch (error) {
    if (error instanceof k8s.ApiException && error.code === 404) return undefined;
    throw error;
  }
}

async function holder(namespace: string): Promise<string | undefined> {
  return (await lease(namespace))?.spec?.holderIdentity;
}

/** Sum of regcred_reconcile_duration_seconds_count on a replica's /metrics. */
async function reconciles(replica: Replica): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${replica.metricsPort}/metrics`);
  const text = await response.text();
  return text
    .split("\n")
    .filter((line) => line.startsWith("regcred_reconcile_duration_seconds_count"))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
}

interface Pair {
  operatorNamespace: string;
  watchNamespace: string;
  credentials: RegistryCredentials;
  leader: Replica;
  follower: Replica;
}

/** Two replicas for a fresh pair of namespaces; resolves once one leads and the other follows. */
async function pair(prefix: string): Promise<Pair> {
  const operatorNamespace = await createNamespace(core, `${prefix}-op`);
  const watchNamespace = await createNamespace(core, `${prefix}-watch`);
  namespaces.push(operatorNamespace, watchNamespace);
  const replicas = await Promise.all([
    startReplica(`${prefix}-a`, operatorNamespace, watchNamespace),
    startReplica(`${prefix}-b`, operatorNamespace, watchNamespace),
  ]);
  let leader: Replica | undefined;
  await waitFor("one replica to lead", async () => {
    const current = await holder(operatorNamespace);
    leader = replicas.find((r) => r.identity === current && logged(r, "started leading"));
    return leader !== undefined;
  });
  const follower = replicas.find((r) => r !== leader) as Replica;
  // Give the follower a few retry periods: it must stay a follower while the leader renews.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  expect(logged(follower, "started leading")).toBe(false);
  return {
    operatorNamespace,
    watchNamespace,
    credentials: new RegistryCredentials(kc, watchNamespace),
    leader: leader as Replica,
    follower,
  };
}

/** Creates a RegistryCredential whose auth Secret is missing and waits for a leader to mark it not Ready. */
async function reconciledCredential(p: Pair): Promise<string> {
  const name = uniqueName("rc");
  await p.credentials.create(registryCredential(name, { sources: [ecrWithStaticKeys("no-such-secret")] }));
  await p.credentials.waitForReady(name, (ready) => ready.status === "False");
  return name;
}

async function waitForNewLeader(p: Pair, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `${p.follower.name} to take over the Lease`,
    async () =>
      (await holder(p.operatorNamespace)) === p.follower.identity && logged(p.follower, "started leading"),
    {
      timeoutMs,
      intervalMs: 100,
      abort: () => (p.follower.process.hasExited() ? "follower exited" : undefined),
    },
  );
}

beforeAll(() => {
  kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  coordination = kc.makeApiClient(k8s.CoordinationV1Api);
});

afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop(5_000)));
});

afterAll(async () => {
  for (const name of namespaces) await core.deleteNamespace({ name }).catch(() => undefined);
});

describe("leader election between two operator processes", () => {
  it(
    "only the leader reconciles; after SIGKILL the follower takes over once the Lease expires",
    async () => {
      const p = await pair("le-kill");
      await reconciledCredential(p);
      expect(await reconciles(p.leader)).toBeGreaterThan(0);
      expect(await reconciles(p.follower)).toBe(0);

      const killedAt = Date.now();
      process.kill(p.leader.process.pid as number, "SIGKILL");
      await p.leader.process.exited;
      await waitForNewLeader(p);
      const takeoverMs = Date.now() - killedAt;
      // Not before the Lease could expire (renewed at most a retry period before the kill)...
      expect(takeoverMs).toBeGreaterThanOrEqual(leaseDurationMs - 1_000 - 500);
      // ...and within a generous bound of the Lease mechanics.
      expect(takeoverMs).toBeLessThan(leaseDurationMs + 10_000);

      // The new leader reconciles.
      await reconciledCredential(p);
      expect(await reconciles(p.follower)).toBeGreaterThan(0);
    },
    timeout,
  );

  it(
    "on SIGTERM the leader releases the Lease and the follower takes over before it would have expired",
    async () => {
      const p = await pair("le-term");
      await reconciledCredential(p);
      const before = await lease(p.operatorNamespace);
      const lastRenew = Date.parse(String(before?.spec?.renewTime));
      expect(before?.spec?.holderIdentity).toBe(p.leader.identity);

      process.kill(p.leader.process.pid as number, "SIGTERM");
      expect(await p.leader.process.exited).toBe(0);
      expect(logged(p.leader, "released lease")).toBe(true);
      await waitForNewLeader(p);

      const after = await lease(p.operatorNamespace);
      const acquired = Date.parse(String(after?.spec?.acquireTime));
      // Without the release the follower could not acquire before lastRenew + leaseDuration (any
      // later renew only pushes that further out).
      expect(acquired).toBeLessThan(lastRenew + leaseDurationMs);
      expect(after?.spec?.leaseTransitions ?? 0).toBeGreaterThanOrEqual(1);
      await reconciledCredential(p);
      expect(await reconciles(p.follower)).toBeGreaterThan(0);
    },
    timeout,
  );

  it(
    "a leader stopped past its renew deadline is replaced, and on SIGCONT exits instead of reconciling",
    async () => {
      const p = await pair("le-stop");
      await reconciledCredential(p);
      const reconcilesBefore = await reconciles(p.leader);

      process.kill(p.leader.process.pid as number, "SIGSTOP");
      try {
        await waitForNewLeader(p);
        // Work arrives while the old leader is frozen; only the new leader may handle it.
        await reconciledCredential(p);
      } finally {
        process.kill(p.leader.process.pid as number, "SIGCONT");
      }

      const code = await Promise.race([
        p.leader.process.exited,
        new Promise((resolve) => setTimeout(() => resolve("still running"), 20_000).unref()),
      ]);
      expect(code).toBe(1);
      const lines = logLines(p.leader);
      expect(lines.some((l) => l.msg === "lost leadership")).toBe(true);
      expect(lines.some((l) => l.msg === "leader election lost; exiting")).toBe(true);
      expect(reconcilesBefore).toBeGreaterThan(0);
      // The new leader keeps the Lease.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(await holder(p.operatorNamespace)).toBe(p.follower.identity);
      expect(p.follower.process.hasExited()).toBe(false);
    },
    timeout,
  );
});
