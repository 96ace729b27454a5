// The regcred CLI in-process against a real control plane: status of a Ready credential made by a
// test operator and fake ECR, audit findings and exit codes, render masking, and clear errors.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { run } from "../../src/cli/run.js";
import { FakeEcrServer } from "../fakes/ecr/fake-ecr-server.js";
import {
  awsKeysSecret,
  ecrWithStaticKeys,
  fakeAccessKey,
  RegistryCredentials,
  registryCredential,
} from "../support/fixtures.js";
import { adminKubeConfig, createNamespace, tokenKubeConfig } from "../support/kube.js";
import { recordShown } from "../support/leaks/ledger.js";
import { scratchDir } from "../support/scratch.js";
import { startTestOperator } from "../support/test-operator.js";
import { waitFor } from "../support/wait.js";

const timeout = 120_000;
const ecrHost = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";

let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
const issuedSecrets: string[] = [];
const outputs: string[] = [];

async function cli(argv: string[], kubeConfig: k8s.KubeConfig = kc) {
  let stdout = "";
  let stderr = "";
  const code = await run(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    kubeConfig,
  });
  outputs.push(stdout, stderr);
  recordShown("cli-output", `${stdout}\n${stderr}`);
  return { code, stdout, stderr };
}

/** A namespace whose default ServiceAccount exists, so pods can be created in it. */
async function namespaceWithDefaultAccount(prefix: string): Promise<string> {
  const namespace = await createNamespace(core, prefix);
  await waitFor(`default ServiceAccount in ${namespace}`, async () => {
    await core.readNamespacedServiceAccount({ namespace, name: "default" });
    return true;
  });
  return namespace;
}

function pod(name: string, image: string, pullSecrets: string[] = []): k8s.V1Pod {
  return {
    metadata: { name },
    spec: {
      automountServiceAccountToken: false,
      containers: [{ name: "app", image }],
      imagePullSecrets: pullSecrets.map((secret) => ({ name: secret })),
    },
  };
}

beforeAll(() => {
  kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
});

afterAll(() => {
  // No CLI output may carry a token value the fake ECR issued.
  for (const secret of issuedSecrets) for (const output of outputs) expect(output).not.toContain(secret);
});

describe("regcred CLI", () => {
  it(
    "status -o json lists a Ready credential with hosts, expiry and next refresh",
    async () => {
      const namespace = await createNamespace(core, "cli-status");
      const ecr = await new FakeEcrServer("eu-west-1").start();
      ecr.registerCredentials(fakeAccessKey);
      await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys") });
      const operator = await startTestOperator({
        kc,
        aws: { ecrEndpoint: ecr.endpoint },
        config: { watchNamespace: namespace },
      });
      try {
        const credentials = new RegistryCredentials(kc, namespace);
        await credentials.create(registryCredential("pull", { sources: [ecrWithStaticKeys("aws-keys")] }));
        await credentials.waitForReady("pull");

        const { code, stdout, stderr } = await cli(["status", "-o", "json", "-n", namespace]);
        expect(stderr).toBe("");
        expect(code).toBe(0);
        const rows = (JSON.parse(stdout) as { items: Record<string, unknown>[] }).items;
        const row = rows.find((r) => r.kind === "RegistryCredential" && r.name === "pull");
        expect(row).toMatchObject({
          namespace,
          ready: "True",
          reason: "TokenRefreshed",
          hosts: [ecrHost],
          secretName: "pull",
          namespaces: { namespace },
        });
        expect(row?.expiresIn).toMatch(/^in /);
        expect(row?.nextRefreshIn).toMatch(/^in /);

        const table = await cli(["status", "-n", namespace]);
        expect(table.code).toBe(0);
        expect(table.stdout).toContain(`${namespace}/pull`);
        expect(table.stdout).toContain(ecrHost);

        // A Ready credential's namespace with a pod using its Secret audits clean.
        await core
          .createNamespacedPod({ namespace, body: pod("web", `${ecrHost}/web:1`, ["pull"]) })
          .catch(async () => {
            await waitFor("default ServiceAccount", async () => {
              await core.readNamespacedServiceAccount({ namespace, name: "default" });
              return true;
            });
            await core.createNamespacedPod({ namespace, body: pod("web", `${ecrHost}/web:1`, ["pull"]) });
          });
        const clean = await cli(["audit", "-n", namespace]);
        expect(clean.stdout).toContain("No findings.");
        expect(clean.code).toBe(0);
      } finally {
        await operator.stop();
        issuedSecrets.push(...ecr.issuedSecrets);
        await ecr.close();
      }
    },
    timeout,
  );

  it(
    "audit finds an uncovered ECR image and an expired managed Secret, with fixes, exit 1",
    async () => {
      const namespace = await namespaceWithDefaultAccount("cli-audit");
      const expiredAt = new Date(Date.now() - 3_600_000).toISOString();
      await core.createNamespacedSecret({
        namespace,
        body: {
          metadata: {
            name: "stale-pull",
            labels: { "app.kubernetes.io/managed-by": "registry-credential-operator" },
            annotations: {
              "regcred.dev/expires-at": expiredAt,
              "regcred.dev/owner": `RegistryCredential/${namespace}/gone`,
            },
          },
          type: "kubernetes.io/dockerconfigjson",
          stringData: {
            ".dockerconfigjson": JSON.stringify({
              auths: {
                [ecrHost]: { username: "AWS", password: "planted-token-value", auth: "cGxhbnRlZA==" },
              },
            }),
          },
        },
      });
      await core.createNamespacedPod({ namespace, body: pod("uncovered", `${ecrHost}/app:1`) });
      await core.createNamespacedPod({ namespace, body: pod("expired", `${ecrHost}/app:1`, ["stale-pull"]) });
      await core.createNamespacedPod({ namespace, body: pod("public", "nginx:1") });

      const json = await cli(["audit", "-n", namespace, "-o", "json"]);
      expect(json.code).toBe(1);
      const findings = (JSON.parse(json.stdout) as { findings: Record<string, string>[] }).findings;
      expect(findings).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            rule: "uncovered-image",
            object: "Pod/uncovered",
            fix: expect.any(String),
          }),
          expect.objectContaining({
            rule: "expired-pull-secret",
            object: "Pod/expired",
            fix: expect.any(String),
          }),
          expect.objectContaining({ rule: "secret-expiring", object: "Secret/stale-pull" }),
        ]),
      );
      expect(findings).toHaveLength(3);
      for (const finding of findings) expect(finding.fix?.length).toBeGreaterThan(10);

      const table = await cli(["audit", "-n", namespace]);
      expect(table.code).toBe(1);
      expect(table.stdout).toContain("Suggested fixes:");
      expect(table.stdout).not.toContain("planted-token-value");
      expect(json.stdout).not.toContain("planted-token-value");
    },
    timeout,
  );

  it(
    "audit of a clean namespace exits 0",
    async () => {
      const namespace = await namespaceWithDefaultAccount("cli-clean");
      await core.createNamespacedPod({ namespace, body: pod("public", "nginx:1") });
      const { code, stdout } = await cli(["audit", "-n", namespace]);
      expect(stdout).toContain("No findings.");
      expect(code).toBe(0);
    },
    timeout,
  );

  it("render masks token values and lists the hosts that would be written", async () => {
    const dir = scratchDir("regcred-render");
    const file = join(dir, "rc.yaml");
    writeFileSync(
      file,
      `apiVersion: regcred.dev/v1alpha1
kind: RegistryCredential
metadata: { name: mixed, namespace: team }
spec:
  sources:
    - ecr: { region: eu-west-1 }
    - ecr: { region: us-east-1, registryIds: ["111122223333"] }
    - gar: { registries: [europe-west1-docker.pkg.dev] }
    - ecr: { region: us-east-1, registryIds: ["444455556666"], hostForms: [Standard, FIPS, DualStack] }
    - ecrPublic: {}
`,
    );
    const { code, stdout } = await cli(["render", file]);
    expect(code).toBe(0);
    expect(stdout).toContain("spec.sources[3] ecr: 444455556666.dkr.ecr.us-east-1.amazonaws.com");
    expect(stdout).toContain("spec.sources[3] ecr: 444455556666.dkr.ecr-fips.us-east-1.amazonaws.com");
    expect(stdout).toContain("spec.sources[3] ecr: 444455556666.dkr-ecr.us-east-1.on.aws");
    expect(stdout).toContain("spec.sources[4] ecrPublic: public.ecr.aws");
    expect(stdout).toContain("<caller account>.dkr.ecr.eu-west-1.amazonaws.com");
    expect(stdout).toContain("111122223333.dkr.ecr.us-east-1.amazonaws.com");
    expect(stdout).toContain("europe-west1-docker.pkg.dev");
    expect(stdout).toContain('"password": "****"');
    expect(stdout).toContain('"auth": "****"');

    writeFileSync(
      file,
      "apiVersion: regcred.dev/v1alpha1\nkind: RegistryCredential\nmetadata: { name: bad }\nspec:\n  sources:\n    - ecr: { region: '' }\n",
    );
    const invalid = await cli(["render", file]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("spec.sources[0].ecr");
  });

  it("a kubeconfig path that does not exist gives a clear error and exit 1", async () => {
    const { code, stderr } = await cli(["status", "--kubeconfig", "/nonexistent/kubeconfig"]);
    expect(code).toBe(1);
    expect(stderr).toContain('kubeconfig "/nonexistent/kubeconfig" does not exist');
  });

  it("a user without RBAC gets a clear forbidden message", async () => {
    const namespace = await createNamespace(core, "cli-rbac");
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "nobody" } } });
    const request = await core.createNamespacedServiceAccountToken({
      name: "nobody",
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const asNobody = tokenKubeConfig(kc, request.status?.token as string);
    const { code, stderr } = await cli(["status", "-n", namespace], asNobody);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: forbidden: the current user may not list \S+/);
    const usage = await cli(["status", "--output", "yaml"], asNobody);
    expect(usage.code).toBe(2);
  });
});
