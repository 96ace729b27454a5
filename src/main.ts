import { readFileSync } from "node:fs";
import { createLogger, type LogLevel } from "./logging/logger.js";

const packageJson = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const logger = createLogger({ level: (process.env.LOG_LEVEL as LogLevel | undefined) ?? "info" });

logger.info({ version: packageJson.version, node: process.version }, "registry-credential-operator starting");
// The controllers are not implemented yet: report that plainly and exit instead of idling.
logger.warn("no controllers are implemented in this build; exiting");
logger.flush();
