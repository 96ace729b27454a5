import { describe, expect, it } from "@jest/globals";
import type { V1Pod, V1Secret } from "@kubernetes/client-node";
import type { RegistryCredential } from "../../../src/api/v1alpha1.js";
import { parseArgs } from "../../../src/cli/args.js";
import { formatFindings } from "../../../src/cli/audit.js";
import { type AuditInput, audit } from "../../../src/cli/audit-rules.js";
import {
  clusterRegistryCredentialRow,
  formatStatusTable,
  registryCredentialRow,
} from "../../../src/cli/status-rows.js";

const now = new Date("2026-01-01T12:00:00Z");
const ecrHost = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";

function pullSecret(name: string, hosts: string[], expiresAt?: string): V1Secret {
  const auths = Object.fromEntries(
    hosts.map((h) => [h, { username: "AWS", password: "tok-SECRET", auth: "x" }]),
  );
  return {
    metadata: {
      name,
      namespace: "app",
      ...(expiresAt
        ? {
            labels: { "app.kubernetes.io/managed-by": "registry-credential-operator" },
            annotations: {
              "regcred.dev/expires-at": expiresAt,
              "regcred.dev/owner": "RegistryCredential/app/ecr",
            },
          }
        : {}),
    },
    type: "kubernetes.io/dockerconfigjson",
    data: { ".dockerconfigjson": Buffer.from(JSON.stringify({ auths })).toString("base64") },
  };
}

function pod(name: string, image: string, pullSecrets: string[] = []): V1Pod {
  return {
    metadata: { name, namespace: "app" },
    spec: { containers: [{ name: "c", image }], imagePullSecrets: pullSecrets.map((n) => ({ name: n })) },
  };
}

function staticCredential(
  namespace: string,
  source: RegistryCredential["spec"]["sources"][number],
): RegistryCredential {
  return {
    apiVersion: "regcred.dev/v1alpha1",
    kind: "RegistryCredential",
    metadata: { name: "static", namespace },
    spec: { sources: [source] },
  };
}

function input(overrides: Partial<AuditInput>): AuditInput {
  return {
    pods: [],
    secrets: [],
    serviceAccounts: [],
    registryCredentials: [],
    clusterRegistryCredentials: [],
    namespaces: [{ metadata: { name: "app" } }],
    now,
    expiringWithinMs: 3_600_000,
    ...overrides,
  };
}

describe("audit rules", () => {
  it("finds a cloud-registry image no pull Secret covers, but ignores docker.io", () => {
    const findings = audit(
      input({
        pods: [pod("web", `${ecrHost}/web:1`, ["other"]), pod("hub", "nginx:1")],
        secrets: [pullSecret("other", ["gcr.io"])],
      }),
    );
    expect(findings).toEqual([
      expect.objectContaining({
        rule: "uncovered-image",
        object: "Pod/web",
        fix: expect.stringContaining("RegistryCredential"),
      }),
    ]);
  });

  it.each([
    ["ECR Public", "public.ecr.aws/team/web:1"],
    ["a dual-stack ECR host", "123456789012.dkr-ecr.eu-west-1.on.aws/web:1"],
    ["a FIPS ECR host", "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/web:1"],
    ["an ECR host in China", "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/web:1"],
  ])("finds an image from %s that no pull Secret covers", (_name, image) => {
    const findings = audit(
      input({ pods: [pod("web", image, ["other"])], secrets: [pullSecret("other", [ecrHost])] }),
    );
    expect(findings).toEqual([expect.objectContaining({ rule: "uncovered-image", object: "Pod/web" })]);
  });

  it.each<[string, Partial<AuditInput>, string[]]>([
    [
      "flags a docker.io image once a credential of its namespace serves Docker Hub by name",
      {
        pods: [pod("hub", "nginx:1"), pod("quay", "quay.io/org/app:1")],
        registryCredentials: [
          staticCredential("app", { basic: { registries: ["docker.io"], secretRef: { name: "hub" } } }),
        ],
      },
      ["Pod/hub"],
    ],
    [
      "flags an image from a mirror alias host",
      {
        pods: [pod("hub", "docker.io/library/nginx:1")],
        registryCredentials: [
          staticCredential("app", {
            ecr: { region: "eu-west-1" },
            aliases: ["docker.io"],
            aliasesAcknowledgement: "SendsTokenUpstreamWhenMirrorFails",
          }),
        ],
      },
      ["Pod/hub"],
    ],
    [
      "counts a Secret keyed index.docker.io as covering docker.io",
      {
        pods: [pod("hub", "nginx:1", ["legacy"])],
        secrets: [pullSecret("legacy", ["https://index.docker.io/v1/"])],
        registryCredentials: [
          staticCredential("app", { basic: { registries: ["docker.io"], secretRef: { name: "hub" } } }),
        ],
      },
      [],
    ],
    [
      "ignores a static credential of another namespace",
      {
        pods: [pod("hub", "nginx:1")],
        registryCredentials: [
          staticCredential("other", { basic: { registries: ["docker.io"], secretRef: { name: "hub" } } }),
        ],
      },
      [],
    ],
  ])("%s", (_name, overrides, flagged) => {
    expect(
      audit(input(overrides))
        .filter((f) => f.rule === "uncovered-image")
        .map((f) => f.object),
    ).toEqual(flagged);
  });

  it("accepts a covering Secret, and flags one that expired", () => {
    const secrets = [
      pullSecret("fresh", [ecrHost], "2026-01-01T20:00:00Z"),
      pullSecret("stale", [ecrHost], "2026-01-01T11:00:00Z"),
    ];
    const findings = audit(
      input({ pods: [pod("ok", `${ecrHost}/a`, ["fresh"]), pod("old", `${ecrHost}/a`, ["stale"])], secrets }),
    );
    expect(findings.map((f) => [f.rule, f.object])).toEqual([
      ["expired-pull-secret", "Pod/old"],
      ["secret-expiring", "Secret/stale"],
    ]);
    expect(JSON.stringify(findings)).not.toContain("tok-SECRET");
  });

  it("flags managed Secrets expiring within the threshold only", () => {
    const secrets = [
      pullSecret("soon", [ecrHost], "2026-01-01T12:30:00Z"),
      pullSecret("later", [ecrHost], "2026-01-01T14:00:00Z"),
    ];
    const findings = audit(input({ secrets }));
    expect(findings).toEqual([expect.objectContaining({ rule: "secret-expiring", object: "Secret/soon" })]);
    expect(findings[0]?.message).toContain("in 30m");
  });

  it("flags selected ServiceAccounts lacking the Secret", () => {
    const rc: RegistryCredential = {
      apiVersion: "regcred.dev/v1alpha1",
      kind: "RegistryCredential",
      metadata: { name: "ecr", namespace: "app" },
      spec: {
        sources: [{ ecr: { region: "eu-west-1" } }],
        serviceAccounts: { names: ["builder", "runner"] },
      },
      status: { secretName: "ecr-pull" },
    };
    const findings = audit(
      input({
        registryCredentials: [rc],
        serviceAccounts: [
          { metadata: { name: "builder", namespace: "app" }, imagePullSecrets: [{ name: "ecr-pull" }] },
          { metadata: { name: "runner", namespace: "app" } },
          { metadata: { name: "default", namespace: "app" } },
        ],
      }),
    );
    expect(findings).toEqual([
      expect.objectContaining({ rule: "service-account-missing-secret", object: "ServiceAccount/runner" }),
    ]);
    expect(formatFindings(findings)).toContain("Suggested fixes:");
  });
});

describe("status rows", () => {
  it("shows Ready, hosts, expiry and namespaces", () => {
    const rc: RegistryCredential = {
      apiVersion: "regcred.dev/v1alpha1",
      kind: "RegistryCredential",
      metadata: { name: "ecr", namespace: "app", generation: 1 },
      spec: { sources: [] },
      status: {
        observedGeneration: 1,
        conditions: [
          { type: "Ready", status: "True", reason: "TokenRefreshed", message: "", lastTransitionTime: "" },
        ],
        sources: [{ index: 0, provider: "ecr", hosts: [ecrHost] }],
        expiresAt: "2026-01-01T17:00:00Z",
        nextRefreshTime: "2026-01-01T14:00:00Z",
      },
    };
    const row = registryCredentialRow(rc, now);
    expect(row).toMatchObject({
      ready: "True",
      reason: "TokenRefreshed",
      hosts: [ecrHost],
      expiresIn: "in 5h",
      nextRefreshIn: "in 2h",
    });
    const crc = clusterRegistryCredentialRow(
      {
        apiVersion: "regcred.dev/v1alpha1",
        kind: "ClusterRegistryCredential",
        metadata: { name: "all" },
        spec: { sources: [], namespaces: {} },
        status: { namespaces: { targeted: 3, inSync: 2, failed: 1 } },
      },
      now,
    );
    const table = formatStatusTable([row, crc]);
    expect(table).toContain("app/ecr");
    expect(table).toContain("(in 5h)");
    expect(table).toContain("2/3 (1 failed)");
  });
});

describe("parseArgs", () => {
  const specs = { namespace: { value: true, short: "n" }, all: { value: false, short: "A" } };
  it("parses short, long and inline forms", () => {
    expect(parseArgs(["-n", "x", "--all", "pos"], specs)).toEqual({
      options: { namespace: "x", all: true },
      positionals: ["pos"],
    });
    expect(parseArgs(["--namespace=y"], specs).options.namespace).toBe("y");
  });
  it("rejects unknown options and missing values", () => {
    expect(() => parseArgs(["--nope"], specs)).toThrow("unknown option --nope");
    expect(() => parseArgs(["-n"], specs)).toThrow("needs a value");
  });
});
