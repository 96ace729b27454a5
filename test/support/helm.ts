// The chart as tests use it: helm from the tool cache, rendered at the control plane's version.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as k8s from "@kubernetes/client-node";
import { testEnvironmentKeys } from "./jest/environment.js";
import { scratchDir } from "./scratch.js";
import { toolPath } from "./tools.js";

export const chartDir = fileURLToPath(new URL("../../charts/registry-credential-operator", import.meta.url));

export function helm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(toolPath("helm"), args, { encoding: "utf8", maxBuffer: 32 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function kubeVersion(): string {
  const version = process.env[testEnvironmentKeys.version];
  if (!version) throw new Error(`${testEnvironmentKeys.version} is not set (integration global setup)`);
  return version;
}

let scratch: string | undefined;

/** Writes `values` to a fresh file for --values. */
export function valuesFile(values: unknown): string {
  scratch ??= scratchDir("regcred-helm");
  const path = join(scratch, `values-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(values));
  return path;
}

/** `helm template` at the control plane's version; throws with helm's stderr on failure. */
export function render(release: string, namespace: string, values: unknown = {}): k8s.KubernetesObject[] {
  const result = helm([
    "template",
    release,
    chartDir,
    "--namespace",
    namespace,
    "--kube-version",
    kubeVersion(),
    "--values",
    valuesFile(values),
  ]);
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return k8s.loadAllYaml(result.stdout).filter(Boolean) as k8s.KubernetesObject[];
}

export const ofKind = <T extends k8s.KubernetesObject>(objects: k8s.KubernetesObject[], kind: string) =>
  objects.filter((o) => o.kind === kind) as T[];

export function deploymentOf(objects: k8s.KubernetesObject[]): k8s.V1Deployment {
  const [deployment] = ofKind<k8s.V1Deployment>(objects, "Deployment");
  if (!deployment) throw new Error("no Deployment rendered");
  return deployment;
}

export const argsOf = (objects: k8s.KubernetesObject[]) =>
  deploymentOf(objects).spec?.template.spec?.containers[0]?.args ?? [];

/** The value of `--name=value` among the chart's arguments. */
export function argOf(objects: k8s.KubernetesObject[], name: string): string | undefined {
  return argsOf(objects)
    .find((a) => a.startsWith(`--${name}=`))
    ?.slice(name.length + 3);
}
