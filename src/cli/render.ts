import { existsSync, readFileSync } from "node:fs";
import { loadAllYaml } from "@kubernetes/client-node";
import {
  apiVersion,
  type ClusterRegistryCredential,
  clusterRegistryCredentialNames,
  type RegistryCredential,
  registryCredentialNames,
} from "../api/v1alpha1.js";
import { checkSpec } from "../controller/credential/spec-checks.js";
import { callerAccountPlaceholder } from "../providers/ecr/info.js";
import { outputFormat, stringOption } from "./args.js";
import type { Command } from "./command.js";
import { CliError, UsageError } from "./errors.js";
import { exitCodes } from "./io.js";
import { contextNamespace } from "./kubeconfig.js";
import { type PlannedSource, plannedSource, renderMaskedDockerConfig } from "./render-plan.js";
import { ClusterReader } from "./resources.js";

type Credential = RegistryCredential | ClusterRegistryCredential;

/** Spec problems exactly as the controller reports them (its own checkSpec); calls no cloud. */
function specProblems(credential: Credential): string[] {
  const checked = checkSpec(credential.spec ?? { sources: [] });
  return "problems" in checked ? checked.problems : [];
}

function credentialsInFile(path: string): Credential[] {
  let documents: unknown[];
  try {
    documents = loadAllYaml(readFileSync(path, "utf8"));
  } catch (error) {
    throw new CliError(`cannot read "${path}": ${(error as Error).message}`);
  }
  const credentials = documents.filter(
    (doc): doc is Credential =>
      !!doc &&
      typeof doc === "object" &&
      (doc as Credential).apiVersion === apiVersion &&
      ((doc as Credential).kind === registryCredentialNames.kind ||
        (doc as Credential).kind === clusterRegistryCredentialNames.kind),
  );
  if (credentials.length === 0) {
    throw new CliError(`"${path}" holds no ${apiVersion} RegistryCredential or ClusterRegistryCredential`);
  }
  return credentials;
}

interface Rendered {
  kind: string;
  namespace?: string;
  name: string;
  secretName: string;
  sources: PlannedSource[];
  dockerconfigjson: unknown;
}

function renderCredential(credential: Credential): Rendered {
  const problems = specProblems(credential);
  const name = credential.metadata?.name ?? "";
  if (problems.length > 0) {
    throw new CliError(`${credential.kind} ${name} is invalid:\n  ${problems.join("\n  ")}`);
  }
  const sources = credential.spec.sources.flatMap((source, index) => plannedSource(source, index) ?? []);
  return {
    kind: credential.kind,
    ...(credential.metadata?.namespace ? { namespace: credential.metadata.namespace } : {}),
    name,
    secretName: credential.spec.secret?.name ?? name,
    sources,
    dockerconfigjson: JSON.parse(renderMaskedDockerConfig(sources)),
  };
}

function formatRendered(rendered: Rendered): string {
  const id = rendered.namespace ? `${rendered.namespace}/${rendered.name}` : rendered.name;
  const lines = [`${rendered.kind} ${id} would write Secret "${rendered.secretName}" with hosts:`];
  for (const source of rendered.sources) {
    for (const host of source.hosts) {
      const note = host.includes(callerAccountPlaceholder)
        ? "  (account known only after a mint)"
        : host.startsWith("<")
          ? "  (known only once the operator reads the Secret)"
          : "";
      lines.push(`  spec.sources[${source.index}] ${source.provider}: ${host}${note}`);
    }
    for (const alias of source.aliases ?? [])
      lines.push(
        `  spec.sources[${source.index}] ${source.provider}: ${alias}  (mirror alias: the same login; containerd sends it here when the mirror fails)`,
      );
  }
  lines.push(".dockerconfigjson (token values masked):", JSON.stringify(rendered.dockerconfigjson, null, 2));
  return lines.join("\n");
}

export const renderCommand: Command = {
  name: "render",
  summary: "show the dockerconfigjson a credential would produce (values masked); writes nothing",
  help: `Usage: regcred render FILE [-o table|json]
       regcred render [-n NS] NAME [-o table|json]

Validates the spec of a RegistryCredential or ClusterRegistryCredential from a YAML file, or of an
existing RegistryCredential, and prints the registry hosts and the .dockerconfigjson it would write
with every token value masked. Makes no cloud calls, reads no referenced Secret and writes
nothing. ECR hosts use "<caller account>" when spec.sources[].ecr.registryIds is absent; static
credentials show "<…>" for what only their Secret tells (a dockerConfig source without hosts, a
username read from a key). Mirror aliases are listed with the login they repeat.

Options:
  -n, --namespace NS        namespace of NAME (default: the context's namespace)
  -o, --output FORMAT       table (default) or json`,
  options: { namespace: { value: true, short: "n" }, output: { value: true, short: "o" } },
  async run(args, context) {
    const format = outputFormat(args);
    if (args.positionals.length !== 1) throw new UsageError("render needs exactly one FILE or NAME");
    const target = args.positionals[0] as string;
    let credentials: Credential[];
    if (existsSync(target) || /\.ya?ml$/.test(target) || target.includes("/")) {
      if (!existsSync(target)) throw new CliError(`file "${target}" does not exist`);
      credentials = credentialsInFile(target);
    } else {
      const kc = context.kubeConfig();
      const namespace = stringOption(args, "namespace") ?? contextNamespace(kc);
      credentials = [await new ClusterReader(kc).registryCredential(namespace, target)];
    }
    const rendered = credentials.map(renderCredential);
    context.io.stdout.write(
      format === "json"
        ? `${JSON.stringify(rendered.length === 1 ? rendered[0] : { items: rendered }, null, 2)}\n`
        : `${rendered.map(formatRendered).join("\n\n")}\n`,
    );
    return exitCodes.ok;
  },
};
