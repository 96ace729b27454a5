import { describe, expect, it } from "@jest/globals";
import { ConfigError, type OperatorConfig, parseConfig, usage } from "../../../src/config.js";

function config(argv: string[] = [], env: NodeJS.ProcessEnv = {}): OperatorConfig {
  const parsed = parseConfig(argv, env);
  if (parsed === "help") throw new Error("unexpected help");
  return parsed;
}

describe("leader election flags", () => {
  it("are off by default", () => {
    expect(config().leaderElection).toBeUndefined();
    expect(config([], { LEADER_ELECT: "false" }).leaderElection).toBeUndefined();
  });

  it("default to the operator namespace, the operator's name and client-go's timings", () => {
    expect(config(["--leader-elect", "--operator-namespace", "ops"]).leaderElection).toEqual({
      namespace: "ops",
      name: "registry-credential-operator",
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    });
  });

  it("read flags before environment variables", () => {
    const env = {
      LEADER_ELECT: "true",
      LEADER_ELECTION_NAMESPACE: "env-ns",
      LEADER_ELECTION_ID: "env-id",
      LEASE_DURATION: "30s",
      RENEW_DEADLINE: "20s",
      RETRY_PERIOD: "5s",
    };
    expect(config([], env).leaderElection).toEqual({
      namespace: "env-ns",
      name: "env-id",
      leaseDurationMs: 30_000,
      renewDeadlineMs: 20_000,
      retryPeriodMs: 5_000,
    });
    expect(
      config(
        [
          "--leader-election-id",
          "flag-id",
          "--lease-duration",
          "4s",
          "--renew-deadline",
          "3s",
          "--retry-period",
          "1s",
        ],
        env,
      ).leaderElection,
    ).toMatchObject({
      name: "flag-id",
      leaseDurationMs: 4_000,
      renewDeadlineMs: 3_000,
      retryPeriodMs: 1_000,
    });
  });

  it("reject bad durations and inconsistent timings", () => {
    expect(() => config(["--leader-elect", "--lease-duration", "15"])).toThrow(ConfigError);
    expect(() => config(["--leader-elect", "--lease-duration", "10s"])).toThrow(/--lease-duration/);
    expect(() => config(["--leader-elect", "--retry-period", "10s"])).toThrow(/--renew-deadline/);
    expect(() => config([], { LEADER_ELECT: "maybe" })).toThrow(/LEADER_ELECT/);
  });

  it("are documented in --help", () => {
    for (const flag of [
      "--leader-elect",
      "--leader-election-namespace",
      "--leader-election-id",
      "--lease-duration",
      "--renew-deadline",
      "--retry-period",
    ])
      expect(usage).toContain(flag);
  });
});
