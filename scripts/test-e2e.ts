// `npm run test:e2e`: the e2e jest project, on real nodes, in band. A node needs root; without it
// this prints one line counting the tests it did not run and exits 0, or 1 when
// REGCRED_REQUIRE_NODE=1 (as .ci/run sets it), so a CI that cannot run them fails instead.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../", import.meta.url));
const e2eDir = join(repoRoot, "test", "e2e");

if (process.getuid?.() === 0) {
  const jest = spawnSync(
    process.execPath,
    [
      "--experimental-vm-modules",
      "--no-warnings=ExperimentalWarning",
      join(repoRoot, "node_modules", "jest", "bin", "jest.js"),
      "--selectProjects",
      "e2e",
      "--runInBand",
      ...process.argv.slice(2),
    ],
    { cwd: repoRoot, stdio: "inherit" },
  );
  process.exit(jest.status ?? 1);
}

const files = readdirSync(e2eDir, { recursive: true, encoding: "utf8" }).filter((f) =>
  f.endsWith(".test.ts"),
);
// A test is an it( or it.each( call: a count for the message, not a test plan.
const tests = files.reduce(
  (sum, file) =>
    sum + (readFileSync(join(e2eDir, file), "utf8").match(/\bit(?:\.each\([^)]*\))?\(/g)?.length ?? 0),
  0,
);
const required = process.env.REGCRED_REQUIRE_NODE === "1";
process.stderr.write(
  `e2e: NOT RUN: ${tests} tests in ${files.length} files need a node, and a node needs root (run npm test as root)${required ? "; REGCRED_REQUIRE_NODE=1 makes this a failure" : ""}\n`,
);
process.exit(required ? 1 : 0);
