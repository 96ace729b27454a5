import { type DestinationStream, type Logger, pino } from "pino";
import { redactSecrets } from "../util/redact.js";

/**
 * Field names whose values are credentials. Any log field with one of these names, at the top
 * level or up to two levels deep, is replaced by "[REDACTED]" before it is written.
 */
const redactedFieldNames = [
  "password",
  "token",
  "accessToken",
  "access_token",
  "authorizationToken",
  "auth",
  "secretAccessKey",
  "sessionToken",
  "private_key",
  "privateKey",
  "clientSecret",
  "client_secret",
  ".dockerconfigjson",
  "dockerconfigjson",
  "authorization",
] as const;

function redactPaths(): string[] {
  return redactedFieldNames.flatMap((name) => {
    const key = /^[A-Za-z_$][\w$]*$/.test(name) ? name : `["${name}"]`;
    const member = key.startsWith("[") ? key : `.${key}`;
    return [key, `*${member}`, `*.*${member}`];
  });
}

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

export interface LoggerOptions {
  level?: LogLevel;
  /** Where JSON lines go; standard output when omitted. */
  destination?: DestinationStream;
}

/** `value` with every string in it (to a few levels deep) passed through redactSecrets. */
function redactStrings(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactSecrets(value);
  if (depth > 4 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => redactStrings(item, depth + 1));
  if (value instanceof Error) return redactSecrets(value.message);
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, redactStrings(item, depth + 1)]),
  );
}

/**
 * Creates the operator's JSON logger. Credential fields are censored by name, and every string
 * logged (the message and each field's text, which may quote remote error text) goes through
 * redactSecrets, so no token-shaped value reaches a log line.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: "registry-credential-operator",
      level: options.level ?? "info",
      redact: { paths: redactPaths(), censor: "[REDACTED]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactStrings(object) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((arg) => (typeof arg === "string" ? redactSecrets(arg) : arg)) as never,
          );
        },
      },
    },
    options.destination,
  );
}
