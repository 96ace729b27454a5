// The demo's real node, where this machine allows one (root): kubelet and containerd pulling the
// private image from a loopback registry behind a gate that admits only the local ECR's unexpired
// tokens, so the pods that run prove the operator's Secrets work through rotations.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FakeEcrServer } from "../test/fakes/ecr/fake-ecr-server.js";
import { ensureControlPlaneBinary } from "../test/support/controlplane/build.js";
import { pauseImageSpec } from "../test/support/node/pause-image.js";
import { startNode } from "../test/support/node/start-node.js";
import { startRegistry } from "../test/support/registry.js";
import { startRegistryGate } from "../test/support/registry-gate.js";
import { ensureNodePrerequisites, ensureRegistryTools } from "../test/support/setup/prerequisites.js";

export interface DemoNode {
  /** Distinct tokens the registry admitted pulls with. */
  tokensAdmitted(): number;
  /** Logins the registry refused (expired or unknown tokens). */
  refused(): number;
  stop(): Promise<void>;
}

/**
 * Starts a node serving `registryHost` (the ECR host the demo's image names) from a gated
 * loopback registry holding a runnable image at "app:1". Resolves undefined, after saying why,
 * when this machine cannot run a node; nothing is left behind then.
 */
export async function startDemoNode(
  kubeconfigPath: string,
  ecr: FakeEcrServer,
  registryHost: string,
  say: (line: string) => void,
): Promise<DemoNode | undefined> {
  if (process.getuid?.() !== 0) {
    say("no node: a node needs root (kubelet, containerd, a network namespace); pods stay Pending");
    return undefined;
  }
  const scratch = mkdtempSync(join(tmpdir(), "regcred-demo-node-"));
  const stops: (() => Promise<void>)[] = [];
  let stopped = false;
  /** Stops what started, last first. Idempotent. */
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const s of [...stops].reverse()) await s();
    rmSync(scratch, { recursive: true, force: true });
  };
  try {
    ensureNodePrerequisites(say);
    ensureRegistryTools(say);
    const login = { username: "gate", password: randomBytes(24).toString("base64url") };
    const registry = await startRegistry(login, pauseImageSpec(scratch));
    stops.push(() => registry.stop());
    const gate = await startRegistryGate(registry.host, login, (u, p) => ecr.accepts(u, p));
    stops.push(() => gate.stop());
    const node = await startNode({
      kubeconfigPath,
      controlPlaneBinary: await ensureControlPlaneBinary(say),
      report: say,
    });
    stops.push(() => node.stop());
    await node.mirror(registryHost, gate.host);
    say(
      `node ${node.name} Ready; it pulls ${registryHost} from a registry that admits only unexpired local-ECR tokens`,
    );
    return { tokensAdmitted: () => gate.admitted.length, refused: () => gate.refusedLogins(), stop };
  } catch (error) {
    await stop();
    say(
      `no node: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}; pods stay Pending`,
    );
    return undefined;
  }
}
