// The suite's leak scan: it finds any recorded credential value in any recorded output, and a jest
// run whose test prints one fails even though the test itself passes.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "@jest/globals";
import { findLeaks, minimumSearchedLength } from "../../support/leaks/scan.js";

const token = Buffer.from("AWS:an-ecr-password-from-a-fake-that-must-never-be-shown").toString("base64");

describe("findLeaks", () => {
  it.each<[string, string]>([
    ["the whole value", `log: ${token}`],
    ["its first part, as an event cut at 1,024 characters shows it", `event: ${token.slice(0, 30)}`],
    ["its last part", `status: …${token.slice(-30)}`],
  ])("finds a value shown as %s", (_how, shown) => {
    const leaks = findLeaks([{ what: "an ECR token", value: token }], new Map([["operator-log.txt", shown]]));
    expect(leaks).toEqual([
      {
        shownIn: "operator-log.txt",
        what: "an ECR token",
        fingerprint: expect.stringMatching(/^[0-9a-f]{12}$/),
      },
    ]);
    expect(JSON.stringify(leaks)).not.toContain(token.slice(0, 16));
  });

  it("finds nothing in output that only redacted the value, and ignores values too short to search for", () => {
    const shown = new Map([["events.txt", "ECR said: bad token [REDACTED]; user AWS"]]);
    expect(
      findLeaks(
        [
          { what: "an ECR token", value: token },
          { what: "a user", value: "AWS" },
        ],
        shown,
      ),
    ).toEqual([]);
    expect("AWS".length).toBeLessThan(minimumSearchedLength);
  });
});

describe("the leak scan of a jest run", () => {
  it("fails a run whose passing test printed a credential value, naming it without showing it", () => {
    const root = fileURLToPath(new URL("../../..", import.meta.url));
    const run = spawnSync(
      process.execPath,
      [
        "--experimental-vm-modules",
        "--no-warnings=ExperimentalWarning",
        join(root, "node_modules/jest/bin/jest.js"),
        "--config",
        join(root, "test/fixtures/leak-scan/jest.config.js"),
      ],
      // A ledger of its own: the child must not scan (and remove) this run's.
      { cwd: root, encoding: "utf8", env: { ...process.env, REGCRED_LEAK_DIR: undefined } },
    );
    const output = `${run.stdout}${run.stderr}`;
    expect(output).toContain("1 passed");
    expect(output).toContain("credential values were shown");
    expect(output).toMatch(
      /an ECR password of the fake AWS clients \(sha256 [0-9a-f]{12}…\) in \d+-test-output-planted-leak\.test\.ts\.txt/,
    );
    expect(run.status).not.toBe(0);
  }, 60_000);
});
