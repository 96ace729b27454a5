// The runtime image's contents: the operator runs from package.json, package-lock.json, the build
// and a production-only install, with the chart's own arguments, and becomes ready.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { freePort } from "../support/controlplane/ports.js";
import { argsOf, render } from "../support/helm.js";
import { testEnvironmentKeys } from "../support/jest/environment.js";
import { adminKubeConfig, createNamespace } from "../support/kube.js";
import { waitFor } from "../support/wait.js";

const timeout = 240_000;
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
let scratch: string;
let core: k8s.CoreV1Api;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "regcred-image-"));
  core = adminKubeConfig().makeApiClient(k8s.CoreV1Api);
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe("the runtime image's contents", () => {
  let child: ChildProcess | undefined;

  afterAll(() => {
    child?.kill("SIGKILL");
  });

  it(
    "runs from package.json, package-lock.json, dist and `npm ci --omit=dev` alone, and becomes ready",
    async () => {
      const app = join(scratch, "app");
      const tsc = spawnSync(
        join(repoRoot, "node_modules/.bin/tsc"),
        ["-p", join(repoRoot, "tsconfig.build.json"), "--outDir", join(app, "dist")],
        { encoding: "utf8", cwd: repoRoot },
      );
      expect(tsc.stdout + tsc.stderr).toBe("");
      expect(tsc.status).toBe(0);
      cpSync(join(repoRoot, "package.json"), join(app, "package.json"));
      cpSync(join(repoRoot, "package-lock.json"), join(app, "package-lock.json"));
      const npmCli = process.env.npm_execpath;
      const [npm, npmArgs] = npmCli?.endsWith(".js") ? [process.execPath, [npmCli]] : ["npm", []];
      const install = spawnSync(
        npm,
        [...npmArgs, "ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"],
        { cwd: app, encoding: "utf8", env: { ...process.env, NODE_ENV: "production" } },
      );
      expect(install.stderr).not.toMatch(/npm error/);
      expect(install.status).toBe(0);
      expect(existsSync(join(app, "node_modules/@kubernetes/client-node"))).toBe(true);
      expect(existsSync(join(app, "node_modules/typescript"))).toBe(false);
      expect(existsSync(join(app, "node_modules/jest"))).toBe(false);

      const help = spawnSync(process.execPath, ["dist/main.js", "--help"], { cwd: app, encoding: "utf8" });
      expect(help.status).toBe(0);
      expect(help.stdout).toContain("--metrics-bind-address");

      // The chart's own arguments (single-namespace mode keeps this operator off other tests' objects).
      const releaseNamespace = await createNamespace(core, "helm-image");
      const watched = await createNamespace(core, "helm-image-watched");
      expect(help.stdout).toContain("--leader-elect");
      const chartArgs = argsOf(render("rco", releaseNamespace, { watchNamespace: watched })).filter(
        (arg) => !arg.startsWith("--metrics-bind-address"),
      );
      const port = await freePort();
      const output: string[] = [];
      child = spawn(
        process.execPath,
        [
          "dist/main.js",
          ...chartArgs,
          `--metrics-bind-address=127.0.0.1:${port}`,
          `--kubeconfig=${process.env[testEnvironmentKeys.kubeconfig]}`,
        ],
        { cwd: app, env: { PATH: process.env.PATH ?? "" }, stdio: ["ignore", "pipe", "pipe"] },
      );
      child.stdout?.on("data", (chunk) => output.push(String(chunk)));
      child.stderr?.on("data", (chunk) => output.push(String(chunk)));
      const exited = new Promise<number | null>((resolve) => child?.on("exit", (code) => resolve(code)));
      let exitCode: number | null | undefined;
      void exited.then((code) => {
        exitCode = code;
      });
      await waitFor(
        "/readyz of the operator started from the production install",
        async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200,
        {
          timeoutMs: 60_000,
          abort: () => (exitCode !== undefined ? `exited ${exitCode}: ${output.join("")}` : undefined),
        },
      );
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      child = undefined;
      expect(output.join("")).not.toMatch(/forbidden|\b403\b/i);
    },
    timeout,
  );
});
