// The e2e project's global setup: the integration project's (prerequisites, control plane, CRDs),
// plus what a node needs. Each e2e test file starts its own node (startNode), in band.
import { register } from "tsx/esm/api";

register();
const { globalSetup } = await import("./start-control-plane.ts");
const { ensureNodePrerequisites } = await import("../setup/prerequisites.ts");
export default async function e2eGlobalSetup() {
  ensureNodePrerequisites((line) => process.stderr.write(`[setup] ${line}\n`));
  await globalSetup();
}
