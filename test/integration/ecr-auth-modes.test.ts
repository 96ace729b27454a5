// Each ECR auth mode end to end through the operator: the real AWS SDK, real TokenRequest tokens
// from the control plane, moto's STS and ECR, the host forms of private ECR, ECR Public (a fake of
// the ecr-public API, which moto lacks) and the operator's ambient-identity policy.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import type { CredentialSource } from "../../src/api/v1alpha1.js";
import { FakeEcrPublicServer } from "../fakes/ecr/fake-ecr-public-server.js";
import { FakeEcrServer } from "../fakes/ecr/fake-ecr-server.js";
import {
  awsKeysSecret,
  dockerConfigOf,
  fakeAccessKey,
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

describe("ECR host forms, several accounts and China, against moto", () => {
  it.each<[string, CredentialSource, string[]]>([
    [
      "several registryIds in three host forms",
      {
        ecr: {
          region: "us-east-1",
          registryIds: ["123456789012", "210987654321"],
          hostForms: ["Standard", "FIPS", "DualStack"],
          auth: { secretRef: { name: "aws-keys" } },
        },
      },
      [
        "123456789012.dkr-ecr.us-east-1.on.aws",
        "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "210987654321.dkr-ecr.us-east-1.on.aws",
        "210987654321.dkr.ecr-fips.us-east-1.amazonaws.com",
        "210987654321.dkr.ecr.us-east-1.amazonaws.com",
      ],
    ],
    [
      // moto's proxyEndpoint says .amazonaws.com in every region; the host comes from the partition.
      "the caller's own account in the China partition",
      { ecr: { region: "cn-north-1", auth: { secretRef: { name: "aws-keys" } } } },
      ["123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"],
    ],
  ])(
    "writes one entry per account and host form for %s",
    async (_name, source, hosts) => {
      const namespace = await createNamespace(core, "ecr-hosts");
      await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys") });
      const operator = await startTestOperator({
        kc,
        aws: { ecrEndpoint: moto.endpoint, stsEndpoint: moto.endpoint },
        config: { watchNamespace: namespace },
      });
      try {
        const credentials = new RegistryCredentials(kc, namespace);
        await credentials.create(registryCredential("pull", { sources: [source] }));
        const rc = await credentials.waitForReady("pull");
        const { auths } = dockerConfigOf((await readSecret(core, namespace, "pull")) as k8s.V1Secret);
        expect(Object.keys(auths).sort()).toEqual(hosts);
        expect([...(rc.status?.sources?.[0]?.hosts ?? [])].sort()).toEqual(hosts);
        // One token per account (moto issues one per requested registry), the same in every form.
        for (const account of new Set(hosts.map((host) => host.slice(0, 12)))) {
          const passwords = Object.entries(auths)
            .filter(([host]) => host.startsWith(account))
            .map(([, login]) => login.password);
          expect(new Set(passwords).size).toBe(1);
        }
      } finally {
        await operator.stop();
      }
    },
    timeout,
  );
});

describe("ECR Public through the operator, against a SigV4-verifying fake of the ecr-public API", () => {
  let ecrPublic: FakeEcrPublicServer;
  const deniedKeys = {
    accessKeyId: "AKIAPUBLICNOBEARER01",
    secretAccessKey: "public-no-bearer-secret-access-key/0001",
  };

  beforeAll(async () => {
    ecrPublic = await new FakeEcrPublicServer().start();
    ecrPublic.registerCredentials(fakeAccessKey);
    ecrPublic.registerCredentials({ ...deniedKeys, bearerTokenAllowed: false });
  });

  afterAll(async () => {
    await ecrPublic?.close();
  });

  it(
    "becomes Ready with a public.ecr.aws login beside a private ECR one in the same Secret, and reports a missing sts:GetServiceBearerToken",
    async () => {
      const namespace = await createNamespace(core, "ecr-public");
      await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys") });
      await core.createNamespacedSecret({ namespace, body: awsKeysSecret("denied-keys", deniedKeys) });
      const operator = await startTestOperator({
        kc,
        aws: {
          ecrEndpoint: moto.endpoint,
          stsEndpoint: moto.endpoint,
          ecrPublicEndpoint: ecrPublic.endpoint,
        },
        config: { watchNamespace: namespace },
      });
      try {
        const credentials = new RegistryCredentials(kc, namespace);
        await credentials.create(
          registryCredential("pull", {
            sources: [
              { ecr: { region: "us-east-1", auth: { secretRef: { name: "aws-keys" } } } },
              { ecrPublic: { auth: { secretRef: { name: "aws-keys" } } } },
            ],
          }),
        );
        await credentials.create(
          registryCredential("denied", {
            sources: [{ ecrPublic: { auth: { secretRef: { name: "denied-keys" } } } }],
          }),
        );
        const rc = await credentials.waitForReady("pull");
        const { auths } = dockerConfigOf((await readSecret(core, namespace, "pull")) as k8s.V1Secret);
        expect(Object.keys(auths).sort()).toEqual([
          "123456789012.dkr.ecr.us-east-1.amazonaws.com",
          "public.ecr.aws",
        ]);
        const login = auths["public.ecr.aws"];
        expect(login?.username).toBe("AWS");
        expect(ecrPublic.accepts(login?.username ?? "", login?.password ?? "")).toBe(true);
        const status = rc.status?.sources?.find((source) => source.provider === "ecrPublic");
        expect(status?.hosts).toEqual(["public.ecr.aws"]);
        expect(Date.parse(status?.expiresAt ?? "") - Date.now()).toBeGreaterThan(11 * 3600_000);

        const denied = await credentials.waitForReady("denied", (ready) => ready.status === "False");
        const ready = denied.status?.conditions?.find((c) => c.type === "Ready");
        expect(ready?.reason).toBe("ProviderError");
        expect(ready?.message).toContain("sts:GetServiceBearerToken");
        expect(ready?.message).not.toContain(deniedKeys.secretAccessKey);
        expect(await readSecret(core, namespace, "denied")).toBeUndefined();
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
