import { type ParseArgsOptionsConfig, parseArgs as parseArgsOf } from "node:util";
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
 * Parses `--name value`, `--name=value`, `-n value` and flags with node:util's parseArgs. Unknown
 * options and missing values are usage errors, so a typo never silently widens a query.
 */
export function parseArgs(argv: string[], specs: Record<string, OptionSpec>): ParsedArgs {
  const options: ParseArgsOptionsConfig = {};
  for (const [name, spec] of Object.entries(specs))
    options[name] = { type: spec.value ? "string" : "boolean", ...(spec.short ? { short: spec.short } : {}) };
  try {
    const parsed = parseArgsOf({ args: argv, options, allowPositionals: true, strict: true });
    return { options: parsed.values as Record<string, string | true>, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(usageProblem(error as Error & { code?: string }));
  }
}

/** node:util's parse error as one short line: "unknown option --x", "option --x needs a value". */
function usageProblem(error: Error & { code?: string }): string {
  const option = /--[a-z0-9-]+/.exec(error.message)?.[0] ?? /'(-[^',]+)/.exec(error.message)?.[1] ?? "";
  if (error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown option ${option}`;
  if (error.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE")
    return /does not take an argument/.test(error.message)
      ? `option ${option} takes no value`
      : `option ${option} needs a value`;
  return error.message.split("\n")[0] ?? "invalid arguments";
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
