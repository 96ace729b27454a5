import { UsageError } from "./errors.js";

/** Declares an option: whether it takes a value, and its short alias. */
export interface OptionSpec {
  value: boolean;
  short?: string;
}

export interface ParsedArgs {
  options: Record<string, string | true>;
  positionals: string[];
}

/**
 * Parses `--name value`, `--name=value`, `-n value` and flags. Unknown options are usage errors,
 * so a typo never silently widens a query.
 */
export function parseArgs(argv: string[], specs: Record<string, OptionSpec>): ParsedArgs {
  const byShort = new Map(
    Object.entries(specs).flatMap(([name, spec]) => (spec.short ? [[spec.short, name] as const] : [])),
  );
  const options: Record<string, string | true> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
    } else if (arg.startsWith("-") && arg.length > 1) {
      name = byShort.get(arg.slice(1, 2));
      if (!name) throw new UsageError(`unknown option ${arg}`);
      inline = arg.length > 2 ? arg.slice(2).replace(/^=/, "") : undefined;
    } else {
      positionals.push(arg);
      continue;
    }
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown option --${name}`);
    if (!spec.value) {
      if (inline !== undefined) throw new UsageError(`option --${name} takes no value`);
      options[name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith("-") && value.length > 1)) {
      throw new UsageError(`option --${name} needs a value`);
    }
    options[name] = value;
  }
  return { options, positionals };
}

/** A string option's value, or undefined. */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.options[name];
  return typeof value === "string" ? value : undefined;
}

export type OutputFormat = "table" | "json";

export function outputFormat(args: ParsedArgs): OutputFormat {
  const value = stringOption(args, "output") ?? "table";
  if (value !== "table" && value !== "json") {
    throw new UsageError(`unsupported output format "${value}" (expected table or json)`);
  }
  return value;
}
