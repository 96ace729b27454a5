import type { KubeConfig } from "@kubernetes/client-node";
import { parseArgs, stringOption } from "./args.js";
import { auditCommand } from "./audit.js";
import { type Command, globalHelp, globalOptions } from "./command.js";
import { CliError, UsageError } from "./errors.js";
import { type CliIo, exitCodes } from "./io.js";
import { loadKubeConfig } from "./kubeconfig.js";
import { renderCommand } from "./render.js";
import { rotateCommand } from "./rotate.js";
import { statusCommand } from "./status.js";

export type { CliIo } from "./io.js";

const commands: Command[] = [statusCommand, auditCommand, renderCommand, rotateCommand];

const topHelp = `regcred — inspect registry-credential-operator resources, and rotate them (also: kubectl regcred)

Usage: regcred COMMAND [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`).join("\n")}

${globalHelp}

Exit codes: 0 ok, 1 findings (audit) or failure, 2 usage error.
Run "regcred COMMAND --help" for a command's options.`;

/** Index of the command word: the first argument that is neither an option nor a global option's value. */
function commandIndex(argv: string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--kubeconfig" || arg === "--context") i++;
    else if (!arg.startsWith("-")) return i;
  }
  return -1;
}

/** Runs the CLI with argv (without node and script), writing to io; resolves with the exit code. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const first = commandIndex(argv);
  const name = first === -1 ? undefined : argv[first];
  const command = commands.find((c) => c.name === name);
  try {
    if (!command) {
      if (name === undefined && (argv.includes("--help") || argv.includes("-h") || argv.length === 0)) {
        io.stdout.write(`${topHelp}\n`);
        return argv.length === 0 ? exitCodes.usage : exitCodes.ok;
      }
      if (name === "help") {
        io.stdout.write(`${topHelp}\n`);
        return exitCodes.ok;
      }
      throw new UsageError(name === undefined ? "no command given" : `unknown command "${name}"`);
    }
    const rest = [...argv.slice(0, first), ...argv.slice(first + 1)];
    const args = parseArgs(rest, { ...globalOptions, ...command.options });
    if (args.options.help === true) {
      io.stdout.write(`${command.help}\n\n${globalHelp}\n`);
      return exitCodes.ok;
    }
    let kc: KubeConfig | undefined;
    return await command.run(args, {
      io,
      now: io.now?.() ?? new Date(),
      kubeConfig: () => {
        kc ??= loadKubeConfig({
          path: stringOption(args, "kubeconfig"),
          context: stringOption(args, "context"),
          given: io.kubeConfig,
          ...(io.env ? { env: io.env } : {}),
        });
        return kc;
      },
    });
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(
        `error: ${error.message}\nRun "regcred ${command ? `${command.name} ` : ""}--help" for usage.\n`,
      );
      return exitCodes.usage;
    }
    io.stderr.write(
      `error: ${error instanceof CliError || error instanceof Error ? error.message : String(error)}\n`,
    );
    return exitCodes.failure;
  }
}
