import { outputFormat } from "./args.js";
import type { Command } from "./command.js";
import { exitCodes } from "./io.js";
import { ClusterReader } from "./resources.js";
import { namespaceScope, scopeHelp, scopeOptions } from "./scope.js";
import { clusterRegistryCredentialRow, formatStatusTable, registryCredentialRow } from "./status-rows.js";

export const statusCommand: Command = {
  name: "status",
  summary: "show every RegistryCredential and ClusterRegistryCredential with its Ready state and expiry",
  help: `Usage: regcred status [-o table|json] [-n NS | -A]

Lists RegistryCredentials (in the namespace, or all with -A) and every ClusterRegistryCredential with
Ready status and reason, registry hosts, expiry, next refresh and the namespaces covered.

Options:
  -o, --output FORMAT       table (default) or json
${scopeHelp}`,
  options: { output: { value: true, short: "o" }, ...scopeOptions },
  async run(args, context) {
    const format = outputFormat(args);
    const kc = context.kubeConfig();
    const namespace = namespaceScope(args, kc);
    const reader = new ClusterReader(kc);
    const [rcs, crcs] = await Promise.all([
      reader.registryCredentials(namespace),
      reader.clusterRegistryCredentials(),
    ]);
    const byName = (a: { metadata: { namespace?: string; name?: string } }, b: typeof a) =>
      `${a.metadata.namespace ?? ""}/${a.metadata.name}`.localeCompare(
        `${b.metadata.namespace ?? ""}/${b.metadata.name}`,
      );
    const rows = [
      ...rcs.sort(byName).map((rc) => registryCredentialRow(rc, context.now)),
      ...crcs.sort(byName).map((crc) => clusterRegistryCredentialRow(crc, context.now)),
    ];
    context.io.stdout.write(
      format === "json" ? `${JSON.stringify({ items: rows }, null, 2)}\n` : `${formatStatusTable(rows)}\n`,
    );
    return exitCodes.ok;
  },
};
