// Each ECR auth mode end to end through the operator: the real AWS SDK, real TokenRequest tokens
// from the control plane, moto's STS and ECR, and the operator's ambient-identity policy.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import type { CredentialSource } from "../../src/api/v1alpha1.js";
import { FakeEcrServer } from "../fakes/ecr/fake-ecr-server.js";
import {
  awsKeysSecret,
  dockerConfigOf,
  RegistryCredentials,
  readSecret,
  registryCredential,
} from "../support/fixtures.js";
import { adminKubeConfig, createNamespace } from "../support/kube.js";
import { type Moto, startMoto } from "../support/moto.js";
import { startTestOperator } from "../support/test-operator.js";

const timeout = 120_000;
const role = "arn:aws:iam::123456789012:role/registry-puller";

let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let moto: Moto;

beforeAll(async () => {
  kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  moto = await startMoto();
}, timeout);

afterAll(async () => {
  await moto?.stop();
});

describe("ECR auth modes through the operator, against moto", () => {
  it.each<[string, CredentialSource, (namespace: string) => Promise<void>]>([
    [
      "static keys from a Secret (secretRef)",
      { ecr: { region: "us-east-1", auth: { secretRef: { name: "aws-keys" } } } },
      async (namespace) => {
        await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys") });
      },
    ],
    [
      "static keys, then a chained assumeRole with an external ID",
      {
        ecr: {
          region: "us-east-1",
          auth: { secretRef: { name: "aws-keys" } },
          assumeRole: { roleArn: role, externalId: "tenant-a", sessionName: "regcred-test" },
        },
      },
      async (namespace) => {
        await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys") });
      },
    ],
    [
      "a tenant ServiceAccount's token exchanged with AssumeRoleWithWebIdentity (role from its annotation)",
      { ecr: { region: "us-east-1", auth: { serviceAccountRef: { name: "puller" } } } },
      async (namespace) => {
        await core.createNamespacedServiceAccount({
          namespace,
          body: { metadata: { name: "puller", annotations: { "eks.amazonaws.com/role-arn": role } } },
        });
      },
    ],
  ])(
    "mints through %s",
    async (_mode, source, prepare) => {
      const namespace = await createNamespace(core, "ecr-mode");
      await prepare(namespace);
      const operator = await startTestOperator({
        kc,
        aws: { ecrEndpoint: moto.endpoint, stsEndpoint: moto.endpoint },
        config: { watchNamespace: namespace },
      });
      try {
        const credentials = new RegistryCredentials(kc, namespace);
        await credentials.create(registryCredential("pull", { sources: [source] }));
        const rc = await credentials.waitForReady("pull");
        const config = dockerConfigOf((await readSecret(core, namespace, "pull")) as k8s.V1Secret);
        const [host] = Object.keys(config.auths);
        expect(host).toMatch(/^\d{12}\.dkr\.ecr\.us-east-1\.amazonaws\.com$/);
        expect(rc.status?.sources?.[0]?.hosts).toEqual([host]);
      } finally {
        await operator.stop();
      }
    },
    timeout,
  );
});

describe("the ambient-identity policy", () => {
  const ambientKeys = {
    accessKeyId: "AKIAAMBIENTOPERATOR1",
    secretAccessKey: "ambient-secret-access-key/0123456789",
  };
  let ecr: FakeEcrServer;
  const saved = { ...process.env };

  beforeAll(async () => {
    ecr = await new FakeEcrServer("eu-west-1").start();
    ecr.registerCredentials(ambientKeys);
    // The operator's own identity, as the default credential chain finds it in its environment.
    process.env.AWS_ACCESS_KEY_ID = ambientKeys.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = ambientKeys.secretAccessKey;
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
  });

  afterAll(async () => {
    process.env = saved;
    await ecr?.close();
  });

  it(
    "lets the allowed namespace use the operator's identity and refuses it elsewhere",
    async () => {
      const trusted = await createNamespace(core, "platform");
      const tenant = await createNamespace(core, "tenant");
      const operator = await startTestOperator({
        kc,
        aws: { ecrEndpoint: ecr.endpoint },
        config: { ambientIdentityNamespaces: [trusted] },
      });
      try {
        const ambient = registryCredential("pull", { sources: [{ ecr: { region: "eu-west-1" } }] });
        await new RegistryCredentials(kc, trusted).create(ambient);
        await new RegistryCredentials(kc, tenant).create(ambient);
        await new RegistryCredentials(kc, trusted).waitForReady("pull");
        const refused = await new RegistryCredentials(kc, tenant).waitForReady(
          "pull",
          (r) => r.status === "False",
        );
        const ready = refused.status?.conditions?.find((c) => c.type === "Ready");
        expect(ready?.reason).toBe("Forbidden");
        expect(ready?.message).toContain("ambient");
        expect(await readSecret(core, tenant, "pull")).toBeUndefined();
        // One ambient mint, for the trusted namespace only. (This operator watches every namespace,
        // so resources left by other test files may reach the fake too, signed with other keys.)
        expect(ecr.accessKeyIds.filter((id) => id === ambientKeys.accessKeyId)).toHaveLength(1);
      } finally {
        await operator.stop();
      }
    },
    timeout,
  );
});

describe("tenant isolation of a namespaced RegistryCredential", () => {
  it(
    "never reads a Secret from another namespace, even when the spec names one",
    async () => {
      const tenant = await createNamespace(core, "tenant");
      const victim = await createNamespace(core, "victim");
      await core.createNamespacedSecret({ namespace: victim, body: awsKeysSecret("aws-keys") });
      const operator = await startTestOperator({
        kc,
        aws: { ecrEndpoint: moto.endpoint, stsEndpoint: moto.endpoint },
        config: { watchNamespace: tenant },
      });
      try {
        const credentials = new RegistryCredentials(kc, tenant);
        // The RegistryCredential schema has no namespace field in references: the apiserver prunes it.
        const sneaky = {
          ecr: { region: "us-east-1", auth: { secretRef: { name: "aws-keys", namespace: victim } } },
        };
        const created = await credentials.create(registryCredential("pull", { sources: [sneaky] }));
        expect(created.spec.sources[0]?.ecr?.auth?.secretRef).toEqual({ name: "aws-keys" });
        const rc = await credentials.waitForReady("pull", (r) => r.status === "False");
        const ready = rc.status?.conditions?.find((c) => c.type === "Ready");
        expect(ready?.reason).toBe("AuthSecretMissing");
        expect(ready?.message).toContain(`Secret ${tenant}/aws-keys not found`);
        expect(await readSecret(core, tenant, "pull")).toBeUndefined();
      } finally {
        await operator.stop();
      }
    },
    timeout,
  );
});
