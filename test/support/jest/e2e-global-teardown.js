// The e2e project's global teardown: the integration project's, then a check that the nodes left
// nothing on the host (see node/host-state.ts); a leftover fails the run, naming it.
import { register } from "tsx/esm/api";

register();
const { globalTeardown } = await import("./stop-control-plane.ts");
const { hostChanges, hostState } = await import("../node/host-state.ts");
export default async function e2eGlobalTeardown() {
  await globalTeardown();
  const after = hostState();
  const changes = hostChanges(globalThis.regcredHostStateBefore ?? {}, after);
  if (changes.length === 0)
    process.stderr.write(
      `[host] the nodes left nothing behind: ${Object.keys(after).join(", ")} unchanged\n`,
    );
  if (changes.length > 0) throw new Error(`the e2e run changed the host:\n${changes.join("\n")}`);
}
