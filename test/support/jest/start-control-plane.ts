import { KubeConfig } from "@kubernetes/client-node";
import { type ControlPlane, startControlPlane } from "../controlplane/controlplane.js";
import { installCrds } from "../crds.js";
import { ensureTestPrerequisites } from "../setup/prerequisites.js";
import { testEnvironmentKeys } from "./environment.js";
import { openLeakLedger } from "./leak-scan.js";

declare global {
  var regcredControlPlane: ControlPlane | undefined;
}

/**
 * Prepares what the tests need beyond `npm ci` (see setup/prerequisites.ts), starts one control
 * plane for the integration project and passes its coordinates to the test workers through the
 * environment. Fails the run (never skips it) when a prerequisite or the control plane cannot be had.
 */
export async function globalSetup(): Promise<void> {
  openLeakLedger();
  ensureTestPrerequisites((line) => process.stderr.write(`[setup] ${line}\n`));
  const report = (line: string) => process.stderr.write(`[controlplane] ${line}\n`);
  const cluster = await startControlPlane({ report, keepDir: process.env.REGCRED_KEEP_CONTROLPLANE === "1" });
  globalThis.regcredControlPlane = cluster;
  process.env[testEnvironmentKeys.kubeconfig] = cluster.kubeconfigPath;
  process.env[testEnvironmentKeys.version] = cluster.version;
  process.env[testEnvironmentKeys.auditLog] = cluster.auditLogPath;
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  await installCrds(kc);
  process.stderr.write(
    `[controlplane] integration tests run against Kubernetes ${cluster.version} (${cluster.server})\n`,
  );
}
