import { describe, expect, it } from "@jest/globals";
import { createLogger } from "../../../src/logging/logger.js";

function capture() {
  const lines: string[] = [];
  const logger = createLogger({ level: "debug", destination: { write: (line: string) => lines.push(line) } });
  return { logger, lines };
}

const secret = "s3cr3t-value-that-must-not-appear";

describe("createLogger", () => {
  it.each([
    ["a top-level password field", { password: secret }],
    ["a nested token field", { response: { token: secret } }],
    [
      "an ECR authorizationToken two levels deep",
      { result: { authorizationData: { authorizationToken: secret } } },
    ],
    ["a .dockerconfigjson key", { data: { ".dockerconfigjson": secret } }],
    ["AWS session credentials", { credentials: { secretAccessKey: secret, sessionToken: secret } }],
    ["a Google service-account key", { key: { private_key: secret } }],
  ])("redacts %s", (_name, fields) => {
    const { logger, lines } = capture();
    logger.info(fields, "message");
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(secret);
    expect(lines[0]).toContain("[REDACTED]");
  });

  it("keeps ordinary fields and writes one JSON object per line with a textual level", () => {
    const { logger, lines } = capture();
    logger.info({ namespace: "team-a", region: "eu-west-1" }, "refreshed");
    const entry = JSON.parse(lines[0] ?? "{}") as Record<string, unknown>;
    expect(entry).toMatchObject({
      level: "info",
      msg: "refreshed",
      namespace: "team-a",
      region: "eu-west-1",
    });
    expect(typeof entry.time).toBe("string");
  });
});
