// The runtime image's contents: the operator runs from its bundle alone (dist/operator/, what the
// Dockerfile's runtime stage copies; no node_modules, no package.json), with the chart's own
// arguments and the image's NODE_OPTIONS, and becomes ready.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
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
    "runs from dist/operator alone, with no node_modules anywhere above it, and becomes ready",
    async () => {
      const app = join(scratch, "app");
      const build = spawnSync(
        process.execPath,
        [
          join(repoRoot, "node_modules/tsx/dist/cli.mjs"),
          join(repoRoot, "scripts/build-operator.ts"),
          "--out",
          join(app, "dist/operator"),
        ],
        { encoding: "utf8", cwd: repoRoot },
      );
      expect(build.stderr).toBe("");
      expect(build.status).toBe(0);
      expect(readdirSync(app)).toEqual(["dist"]);
      expect(readdirSync(join(app, "dist"))).toEqual(["operator"]);
      for (let dir = app; dir !== dirname(dir); dir = dirname(dir))
        expect(existsSync(join(dir, "node_modules"))).toBe(false);
      const nodeOptions = /^ENV NODE_OPTIONS="(.*)"$/m.exec(
        readFileSync(join(repoRoot, "Dockerfile"), "utf8"),
      )?.[1];
      expect(nodeOptions).toContain("--max-old-space-size-percentage=");

      const help = spawnSync(process.execPath, ["dist/operator/main.mjs", "--help"], {
        cwd: app,
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "", NODE_OPTIONS: nodeOptions },
      });
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
          "dist/operator/main.mjs",
          ...chartArgs,
          `--metrics-bind-address=127.0.0.1:${port}`,
          `--kubeconfig=${process.env[testEnvironmentKeys.kubeconfig]}`,
        ],
        {
          cwd: app,
          env: { PATH: process.env.PATH ?? "", NODE_OPTIONS: nodeOptions },
          stdio: ["ignore", "pipe", "pipe"],
        },
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
