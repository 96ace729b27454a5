import { parseDuration } from "../util/duration.js";
import { outputFormat, stringOption } from "./args.js";
import { audit, type Finding } from "./audit-rules.js";
import type { Command } from "./command.js";
import { UsageError } from "./errors.js";
import { exitCodes } from "./io.js";
import { ClusterReader } from "./resources.js";
import { namespaceScope, scopeHelp, scopeOptions } from "./scope.js";
import { formatTable } from "./table.js";

/** @internal exported for its tests */
export function formatFindings(findings: Finding[]): string {
  if (findings.length === 0) return "No findings.";
  return [
    formatTable(
      ["rule", "namespace", "object", "problem"],
      findings.map((f) => [f.rule, f.namespace, f.object, f.message]),
    ),
    "",
    "Suggested fixes:",
    ...findings.map((f, i) => `  ${i + 1}. ${f.namespace}/${f.object}: ${f.fix}`),
  ].join("\n");
}

export const auditCommand: Command = {
  name: "audit",
  summary: "find pods, ServiceAccounts and Secrets that will fail to pull images; exit 1 when any",
  help: `Usage: regcred audit [--expiring-within 1h] [-o table|json] [-n NS | -A]

Reports, each with a suggested fix:
  uncovered-image                  pods with ECR / Artifact Registry / gcr.io images that no pull
                                   Secret of the pod covers
  expired-pull-secret              pods whose covering managed Secret has expired
  image-pull-failing               containers in ErrImagePull or ImagePullBackOff, classified from
                                   the kubelet's message as credentials refused, repository or tag
                                   not found, registry unreachable (TLS or network) or other, with
                                   the fix for the cause and cloud (ECR, ECR Public, Artifact
                                   Registry, ACR, static credentials), or, when a managed Secret
                                   covers the host but the pod lacks it, how to recreate the pod
  service-account-missing-secret   ServiceAccounts a credential selects that lack its Secret
  secret-expiring                  managed Secrets expired or expiring within the threshold
Exit code 1 when there is any finding. Token values are never printed.

Options:
      --expiring-within DURATION   threshold for secret-expiring (default 1h)
  -o, --output FORMAT              table (default) or json
${scopeHelp}`,
  options: { output: { value: true, short: "o" }, "expiring-within": { value: true }, ...scopeOptions },
  async run(args, context) {
    const format = outputFormat(args);
    let expiringWithinMs: number;
    try {
      expiringWithinMs = parseDuration(stringOption(args, "expiring-within") ?? "1h");
    } catch (error) {
      throw new UsageError(`--expiring-within: ${(error as Error).message}`);
    }
    const kc = context.kubeConfig();
    const namespace = namespaceScope(args, kc);
    const reader = new ClusterReader(kc);
    const [pods, secrets, serviceAccounts, registryCredentials, clusterRegistryCredentials, namespaces] =
      await Promise.all([
        reader.pods(namespace),
        reader.secrets(namespace),
        reader.serviceAccounts(namespace),
        reader.registryCredentials(namespace),
        reader.clusterRegistryCredentials(),
        reader.namespaces(namespace),
      ]);
    const findings = audit({
      pods,
      secrets,
      serviceAccounts,
      registryCredentials,
      clusterRegistryCredentials,
      namespaces,
      now: context.now,
      expiringWithinMs,
    });
    context.io.stdout.write(
      format === "json" ? `${JSON.stringify({ findings }, null, 2)}\n` : `${formatFindings(findings)}\n`,
    );
    return findings.length > 0 ? exitCodes.findings : exitCodes.ok;
  },
};
