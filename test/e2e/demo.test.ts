// The README's demo command where the machine allows a node: besides the table, a pod pulls the
// private image with the operator's fanned-out Secret, and a second pod pulls after the Secret
// rotated, through a registry that refuses expired and unknown tokens.
import { describe, expect, it } from "@jest/globals";
import { runDemo } from "../support/demo.js";

describe("npm run demo -- --duration 60 on a machine that allows a node", () => {
  it("shows pods pulling the private image on the node before and after a rotation", async () => {
    const { code, stdout, stderr } = await runDemo(60);
    expect({ code, tail: stderr.split("\n").slice(-8).join("\n") }).toEqual({
      code: 0,
      tail: expect.stringContaining(
        "pods pulled the private image on a real node before and after a rotation",
      ),
    });
    expect(stdout).toContain("pod team-c/web was admitted with imagePullSecrets: ecr-pull, Running");
    expect(stdout).toContain(
      "pod team-c/web-after-rotation was admitted with imagePullSecrets: ecr-pull, Running",
    );
    const admitted = Number(/admitted pulls with (\d+) distinct token/.exec(stdout)?.[1]);
    expect(admitted).toBeGreaterThanOrEqual(2);
    expect(stdout).toContain("refused 0 login(s)");
    expect(stdout).not.toMatch(/[A-Za-z0-9+/=]{40,}/);
  }, 300_000);
});
