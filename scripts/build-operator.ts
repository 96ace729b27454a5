// Bundles the operator (src/main.ts) as the image ships it: dist/operator/main.mjs and a chunk per
// dynamically imported module (the cloud SDKs, loaded when a source first uses one), ESM for Node
// 24, with every dependency inlined, so it runs with no node_modules. Usage:
//   npm run build:operator [-- --out DIR]
// Prints the bundle's size; exits non-zero with esbuild's errors when it cannot be built.
import { readFileSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { bundle } from "./bundle.js";

const repoRoot = fileURLToPath(new URL("../", import.meta.url));
const { values } = parseArgs({ options: { out: { type: "string" } } });
const out = resolve(values.out ?? join(repoRoot, "dist", "operator"));
const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };

rmSync(out, { recursive: true, force: true });
const metafile = await bundle({
  entryPoint: join(repoRoot, "src", "main.ts"),
  format: "esm",
  out,
  define: { "globalThis.REGCRED_BUNDLED_VERSION": version },
}).catch((error: unknown) => {
  process.stderr.write(`build-operator: esbuild failed: ${String(error)}\n`);
  process.exit(1);
});
const outputs = Object.keys(metafile.outputs);
const bytes = outputs.reduce((sum, file) => sum + statSync(resolve(file)).size, 0);
process.stdout.write(
  `bundled the operator into ${out} (${outputs.length} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB)\n`,
);
