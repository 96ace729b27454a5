import type { KubeConfig } from "@kubernetes/client-node";
import type { OptionSpec, ParsedArgs } from "./args.js";
import type { CliIo } from "./io.js";

interface CommandContext {
  io: CliIo;
  /** Loads the KubeConfig on first use, so --help and render of a file need none. */
  kubeConfig(): KubeConfig;
  now: Date;
}

export interface Command {
  name: string;
  summary: string;
  help: string;
  options: Record<string, OptionSpec>;
  run(args: ParsedArgs, context: CommandContext): Promise<number>;
}

export const globalOptions = {
  kubeconfig: { value: true },
  context: { value: true },
  help: { value: false, short: "h" },
} as const satisfies Record<string, OptionSpec>;

export const globalHelp = `Global options:
      --kubeconfig PATH     kubeconfig file (default: KUBECONFIG, in-cluster, ~/.kube/config)
      --context NAME        kubeconfig context to use
  -h, --help                show help`;
