import { type DestinationStream, type Logger, pino } from "pino";

/**
 * Field names whose values are credentials. Any log field with one of these names, at the top
 * level or up to two levels deep, is replaced by "[REDACTED]" before it is written.
 */
export const redactedFieldNames = [
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

/** Creates the operator's JSON logger, with credential fields redacted. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: "registry-credential-operator",
      level: options.level ?? "info",
      redact: { paths: redactPaths(), censor: "[REDACTED]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}
