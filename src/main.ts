import { readFileSync } from "node:fs";
import { ConfigError, parseConfig, usage } from "./config.js";
import { createLogger } from "./logging/logger.js";
import { startOperator } from "./operator.js";
import { errorText } from "./util/error-text.js";

/** package.json's version: inlined by the bundler (scripts/build-operator.ts), else read beside dist/. */
const version =
  (globalThis as { REGCRED_BUNDLED_VERSION?: string }).REGCRED_BUNDLED_VERSION ??
  (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string })
    .version;

let config: ReturnType<typeof parseConfig>;
try {
  config = parseConfig(process.argv.slice(2), process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`${error.message}\n\n${usage}`);
  process.exit(2);
}
if (config === "help") {
  console.log(usage);
  process.exit(0);
}

const logger = createLogger({ level: config.logLevel });
logger.info({ version, node: process.version }, "registry-credential-operator starting");

try {
  const operator = await startOperator(config, logger);
  let stopping = false;
  // A replica that lost its Lease exits (like controller-runtime) and restarts with fresh state
  // rather than risk reconciling from a stale view; it does not release what it no longer holds.
  void operator.leaderElection?.lost.then(() => {
    if (stopping) return;
    logger.fatal({ identity: operator.leaderElection?.identity }, "leader election lost; exiting");
    process.exit(1);
  });
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1);
      stopping = true;
      logger.info({ signal }, "shutting down");
      operator
        .stop()
        .then(() => {
          logger.info("stopped");
          process.exit(0);
        })
        .catch((error: Error) => {
          logger.error({ err: errorText(error) }, "shutdown failed");
          process.exit(1);
        });
    });
  }
} catch (error) {
  logger.fatal({ err: errorText(error) }, "operator failed to start");
  process.exit(1);
}
