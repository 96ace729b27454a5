// regcred status: the Verified condition per credential, and in the wide view and JSON the
// verification entries and pull failures of status.
import { describe, expect, it } from "@jest/globals";
import type {
  ClusterRegistryCredential,
  Condition,
  RegistryCredential,
  RegistryCredentialStatus,
} from "../../../src/api/v1alpha1.js";
import { run } from "../../../src/cli/run.js";
import {
  clusterRegistryCredentialRow,
  formatStatusDetails,
  formatStatusTable,
  registryCredentialRow,
} from "../../../src/cli/status-rows.js";

const now = new Date("2026-01-01T12:00:00Z");
const ecrHost = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";

const condition = (type: string, status: Condition["status"], reason: string, message = ""): Condition => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: "2026-01-01T11:00:00Z",
});

function credential(name: string, status: Partial<RegistryCredentialStatus>): RegistryCredential {
  return {
    apiVersion: "regcred.dev/v1alpha1",
    kind: "RegistryCredential",
    metadata: { name, namespace: "app", generation: 1 },
    spec: { sources: [] },
    status: {
      observedGeneration: 1,
      sources: [{ index: 0, provider: "ecr", hosts: [ecrHost] }],
      ...status,
      conditions: [condition("Ready", "True", "TokenRefreshed"), ...(status.conditions ?? [])],
    },
  };
}

const refused = credential("refused", {
  conditions: [condition("Verified", "False", "Unauthorized", `${ecrHost} answered 401 to /v2/`)],
  verification: [
    {
      index: 0,
      host: ecrHost,
      reason: "Unauthorized",
      message: `GET https://${ecrHost}/v2/ answered 401`,
      verifiedAt: "2026-01-01T11:55:00Z",
    },
    {
      index: 0,
      host: ecrHost,
      image: "team/app:stable",
      reason: "Forbidden",
      message: "HEAD manifests/stable\nanswered 403",
      verifiedAt: "2026-01-01T11:55:00Z",
    },
  ],
  pullFailures: [
    {
      namespace: "app",
      pod: "web-7d9f8b6c5d-x2k4q",
      image: `${ecrHost}/team/app:1`,
      cause: "CredentialsRefused",
      action: "PermissionDenied",
      message: "401 Unauthorized",
      lastSeen: "2026-01-01T11:58:00Z",
    },
  ],
});
const verified = credential("verified", { conditions: [condition("Verified", "True", "Authenticated")] });
const unchecked = credential("unchecked", {});

describe("regcred status and the Verified condition", () => {
  it.each<[string, RegistryCredential, string, object | undefined]>([
    [
      "shows a refused credential as False with its reason",
      refused,
      "False (Unauthorized)",
      { status: "False", reason: "Unauthorized", message: `${ecrHost} answered 401 to /v2/` },
    ],
    [
      "shows a verified credential as True (Authenticated)",
      verified,
      "True (Authenticated)",
      { status: "True", reason: "Authenticated", message: "" },
    ],
    ["shows a dash when verification is off or has not run", unchecked, "-", undefined],
  ])("%s", (_name, rc, cell, condition) => {
    const row = registryCredentialRow(rc, now);
    expect(row.verified).toEqual(condition);
    const [header, line] = formatStatusTable([row]).split("\n");
    expect(header).toMatch(/REASON\s+VERIFIED\s+HOSTS/);
    const start = header?.indexOf("VERIFIED") ?? -1;
    expect(line?.slice(start).startsWith(cell)).toBe(true);
  });

  it("keeps status.verification and status.pullFailures in the rows JSON shows", () => {
    const row = JSON.parse(JSON.stringify(registryCredentialRow(refused, now)));
    expect(row).toMatchObject({
      verified: { status: "False", reason: "Unauthorized" },
      verification: refused.status?.verification,
      pullFailures: refused.status?.pullFailures,
    });
    expect(registryCredentialRow(unchecked, now)).toMatchObject({ verification: [], pullFailures: [] });
  });

  it("lists each verification and pull failure in the wide view, with relative times", () => {
    const details = formatStatusDetails(
      [registryCredentialRow(refused, now), registryCredentialRow(unchecked, now)],
      now,
    );
    expect(details.split("\n")).toEqual([
      "RegistryCredential app/refused:",
      `  Verified: False (Unauthorized): ${ecrHost} answered 401 to /v2/`,
      "  verification:",
      expect.stringMatching(/^ {4}SOURCE\s+HOST\s+IMAGE\s+REASON\s+VERIFIED\s+MESSAGE$/),
      expect.stringMatching(
        new RegExp(`^ {4}0\\s+${ecrHost}\\s+-\\s+Unauthorized\\s+5m ago\\s+GET https://`),
      ),
      expect.stringMatching(
        /^ {4}0\s+\S+\s+team\/app:stable\s+Forbidden\s+5m ago\s+HEAD manifests\/stable answered 403$/,
      ),
      "  pull failures:",
      expect.stringMatching(/^ {4}POD\s+IMAGE\s+CAUSE\s+ACTION\s+LAST SEEN$/),
      expect.stringMatching(
        new RegExp(
          `^ {4}app/web-7d9f8b6c5d-x2k4q\\s+${ecrHost}/team/app:1\\s+CredentialsRefused\\s+PermissionDenied\\s+2m ago$`,
        ),
      ),
    ]);
  });

  it("shows a ClusterRegistryCredential's pull failures in other namespaces", () => {
    const crc: ClusterRegistryCredential = {
      apiVersion: "regcred.dev/v1alpha1",
      kind: "ClusterRegistryCredential",
      metadata: { name: "all" },
      spec: { sources: [], namespaces: {} },
      status: {
        pullFailures: [
          {
            namespace: "team-b",
            pod: "job-1",
            image: "nginx:nope",
            cause: "NotFound",
            action: "Reported",
            lastSeen: "2026-01-01T10:00:00Z",
          },
        ],
      },
    };
    const details = formatStatusDetails([clusterRegistryCredentialRow(crc, now)], now);
    expect(details).toContain("ClusterRegistryCredential all:");
    expect(details).toMatch(/team-b\/job-1\s+nginx:nope\s+NotFound\s+Reported\s+2h ago/);
  });

  it("has no details when no credential has any", () => {
    expect(formatStatusDetails([registryCredentialRow(unchecked, now)], now)).toBe("");
  });

  it.each([
    [
      "refuses an unknown output format, naming wide",
      ["status", "-o", "yaml"],
      2,
      /expected table, wide or json/,
    ],
    ["documents -o wide in its help", ["status", "--help"], 0, /-o wide adds/],
  ])("%s", async (_name, argv, exitCode, text) => {
    let out = "";
    const code = await run(argv, {
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: (t: string) => (out += t) },
    });
    expect(code).toBe(exitCode);
    expect(out).toMatch(text);
  });
});
