// The e2e project's global setup: the integration project's (prerequisites, control plane, CRDs),
// plus what a node needs, and a record of the host's state for the teardown to compare against.
// Each e2e test file starts its own node (startNode), in band.
import { register } from "tsx/esm/api";

register();
const { globalSetup } = await import("./start-control-plane.ts");
const { ensureNodePrerequisites } = await import("../setup/prerequisites.ts");
const { hostState } = await import("../node/host-state.ts");
export default async function e2eGlobalSetup() {
  ensureNodePrerequisites((line) => process.stderr.write(`[setup] ${line}\n`));
  globalThis.regcredHostStateBefore = hostState();
  await globalSetup();
}
