import { stringOption } from "./args.js";
import type { Command } from "./command.js";
import { UsageError } from "./errors.js";
import { exitCodes } from "./io.js";
import { ClusterReader } from "./resources.js";
import { namespaceScope, scopeHelp, scopeOptions } from "./scope.js";
import {
  clusterRegistryCredentialRow,
  formatStatusDetails,
  formatStatusTable,
  registryCredentialRow,
} from "./status-rows.js";

export const statusCommand: Command = {
  name: "status",
  summary: "show every RegistryCredential and ClusterRegistryCredential with its Ready state and expiry",
  help: `Usage: regcred status [-o table|wide|json] [-n NS | -A]

Lists RegistryCredentials (in the namespace, or all with -A) and every ClusterRegistryCredential with
Ready status and reason, Verified status and reason (the check of each login against its registry),
registry hosts, expiry, next refresh and the namespaces covered. -o wide adds, per credential, the
Verified message, the last check of each host (status.verification) and the pods failing to pull
from its hosts (status.pullFailures: pod, image, cause, action, last seen); json holds all of it.

Options:
  -o, --output FORMAT       table (default), wide or json
${scopeHelp}`,
  options: { output: { value: true, short: "o" }, ...scopeOptions },
  async run(args, context) {
    const format = stringOption(args, "output") ?? "table";
    if (format !== "table" && format !== "wide" && format !== "json")
      throw new UsageError(`unsupported output format "${format}" (expected table, wide or json)`);
    const wide = format === "wide";
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
    const details = wide ? formatStatusDetails(rows, context.now) : "";
    context.io.stdout.write(
      format === "json"
        ? `${JSON.stringify({ items: rows }, null, 2)}\n`
        : `${formatStatusTable(rows)}\n${details ? `\n${details}\n` : ""}`,
    );
    return exitCodes.ok;
  },
};
