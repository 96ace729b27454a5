// The README's demo command, in its short, non-interactive form without a node (the e2e project
// runs it with one): a fresh control plane, the local ECR, Google and ACR with 60-second tokens, the operator and
// the example resources, for 45 seconds.
import { describe, expect, it } from "@jest/globals";
import { runDemo } from "../support/demo.js";

describe("npm run demo -- --duration 45 --no-node", () => {
  it("shows every credential Ready, a refresh before expiry, and a new namespace's first pod admitted with the pull Secret", async () => {
    const { code, stdout, stderr } = await runDemo(45, ["--no-node"]);
    expect({ code, tail: stderr.split("\n").slice(-5).join("\n") }).toEqual({
      code: 0,
      tail: expect.any(String),
    });
    expect(stdout).toMatch(/ClusterRegistryCredential\/ecr-all-teams\s+True\s+3\/3/);
    expect(stdout).toMatch(/RegistryCredential\/team-a\/team-a-only\s+True\s+1\/1/);
    expect(stdout).toMatch(/RegistryCredential\/team-b\/artifact-registry\s+True\s+1\/1/);
    expect(stdout).toMatch(/RegistryCredential\/team-b\/acr\s+True\s+1\/1/);
    expect(stdout).toContain("pod team-c/web was admitted with imagePullSecrets: ecr-pull");
    expect(stderr).toContain("every credential Ready, tokens refreshed before expiry");
    // The demo's table shows names, counts and times only.
    expect(stdout).not.toMatch(/[A-Za-z0-9+/=]{40,}/);
  }, 180_000);
});
