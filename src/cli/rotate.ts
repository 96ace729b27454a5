import { CustomObjectsApi } from "@kubernetes/client-node";
import {
  type ClusterRegistryCredential,
  clusterRegistryCredentialNames,
  group,
  type RegistryCredential,
  registryCredentialNames,
  rotateAnnotation,
  version,
} from "../api/v1alpha1.js";
import { requestRotation } from "../kube/request-rotation.js";
import { parseDuration } from "../util/duration.js";
import { stringOption } from "./args.js";
import type { Command } from "./command.js";
import { CliError, request, UsageError } from "./errors.js";
import { exitCodes } from "./io.js";
import { contextNamespace } from "./kubeconfig.js";

type Credential = RegistryCredential | ClusterRegistryCredential;

const pollMs = 500;

/** The resource a command line names: a RegistryCredential in a namespace, or a ClusterRegistryCredential. */
interface Target {
  kind: string;
  plural: string;
  name: string;
  namespace?: string;
}

function describe(target: Target): string {
  return `${target.kind} ${target.namespace ? `${target.namespace}/` : ""}${target.name}`;
}

export const rotateCommand: Command = {
  name: "rotate",
  summary: "mint a credential's logins afresh now and rewrite every Secret it writes",
  help: `Usage: regcred rotate NAME [-n NS] [--wait [--timeout DURATION]]
       regcred rotate --cluster NAME [--wait [--timeout DURATION]]

Asks the operator to rotate a RegistryCredential (in the namespace, default the context's) or,
with --cluster, a ClusterRegistryCredential: it sets the annotation ${rotateAnnotation} to a new
value, and the operator then mints every source afresh (past its token cache and
refresh.minInterval) and rewrites the Secret in every namespace it writes, once for that value.
status.lastRotation records the value handled, so a restart does not rotate again. Needs
permission to patch the resource.

Options:
  -n, --namespace NS        the RegistryCredential's namespace (default: the context's namespace)
      --cluster NAME        rotate the ClusterRegistryCredential NAME instead
      --wait                wait until the operator reports the rotation done (exit 1 on timeout)
      --timeout DURATION    how long --wait waits, e.g. 30s, 2m (default 60s)`,
  options: {
    namespace: { value: true, short: "n" },
    cluster: { value: true },
    wait: { value: false },
    timeout: { value: true },
  },
  async run(args, context) {
    const cluster = stringOption(args, "cluster");
    const [name, ...extra] = args.positionals;
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    if (cluster && name) throw new UsageError("give either NAME or --cluster NAME, not both");
    if (cluster && stringOption(args, "namespace"))
      throw new UsageError("a ClusterRegistryCredential has no namespace: drop -n/--namespace");
    if (!cluster && !name) throw new UsageError("name the RegistryCredential to rotate (or --cluster NAME)");
    const timeoutText = stringOption(args, "timeout");
    if (timeoutText && args.options.wait !== true) throw new UsageError("--timeout needs --wait");
    let timeoutMs = 60_000;
    try {
      if (timeoutText) timeoutMs = parseDuration(timeoutText);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }

    const kc = context.kubeConfig();
    const target: Target = cluster
      ? {
          kind: clusterRegistryCredentialNames.kind,
          plural: clusterRegistryCredentialNames.plural,
          name: cluster,
        }
      : {
          kind: registryCredentialNames.kind,
          plural: registryCredentialNames.plural,
          name: name as string,
          namespace: stringOption(args, "namespace") ?? contextNamespace(kc),
        };
    const api = kc.makeApiClient(CustomObjectsApi);
    const params = { group, version, plural: target.plural, name: target.name };
    const resource = `${target.plural}.${group} "${target.name}"`;
    const value = context.now.toISOString();
    await request({ verb: "patch", resource, namespace: target.namespace }, () =>
      requestRotation(api, target, value),
    );
    context.io.stdout.write(`rotation requested for ${describe(target)} (${rotateAnnotation}=${value})\n`);
    if (args.options.wait !== true) return exitCodes.ok;

    const get = async () =>
      (await request({ verb: "get", resource, namespace: target.namespace }, () =>
        target.namespace
          ? api.getNamespacedCustomObject({ ...params, namespace: target.namespace })
          : api.getClusterCustomObject(params),
      )) as Credential;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = await get();
      const ready = current.status?.conditions?.find((c) => c.type === "Ready");
      if (current.status?.lastRotation?.value === value) {
        context.io.stdout.write(
          `rotated at ${current.status.lastRotation.rotatedAt}${ready ? `: ${ready.message}` : ""}\n`,
        );
        return exitCodes.ok;
      }
      if (Date.now() >= deadline)
        throw new CliError(
          `${describe(target)} did not report the rotation within ${timeoutMs / 1000} s` +
            (ready ? `; Ready is ${ready.status} (${ready.reason}): ${ready.message}` : ""),
        );
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  },
};
