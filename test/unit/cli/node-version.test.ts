import { describe, expect, it } from "@jest/globals";
import { minimumNodeMajor, unsupportedNode } from "../../../src/cli/node-version.js";

describe("the CLI's Node version check", () => {
  it.each(["20.20.2", "22.12.0", "18.0.0", "garbage"])(
    "refuses Node %s in one line naming the version needed",
    (version) => {
      const problem = unsupportedNode(version);
      expect(problem).toContain(`Node.js ${minimumNodeMajor} or newer`);
      expect(problem).toContain(version);
      expect(problem).not.toContain("\n");
    },
  );

  it.each(["24.0.0", "24.21.0", "26.1.0"])("accepts Node %s", (version) => {
    expect(unsupportedNode(version)).toBeUndefined();
  });

  it("asks for what package.json's engines field asks for", async () => {
    const { readFileSync } = await import("node:fs");
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
      engines: { node: string };
    };
    expect(pkg.engines.node).toBe(`>=${minimumNodeMajor}`);
  });
});
