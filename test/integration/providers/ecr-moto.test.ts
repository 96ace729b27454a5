// The ECR provider with the real AWS SDK against moto (ECR and STS), and, for serviceAccountRef,
// real TokenRequest tokens from the test control plane.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { decodeJwt } from "jose";
import type { EcrSource } from "../../../src/api/v1alpha1.js";
import { KubeSourceAccess } from "../../../src/controller/credential/source-access.js";
import { createEcrProvider, defaultAwsClientFactories } from "../../../src/providers/ecr/provider.js";
import type { Provider } from "../../../src/providers/provider.js";
import { adminKubeConfig, createNamespace } from "../../support/kube.js";
import { type Moto, startMoto } from "../../support/moto.js";

const timeout = 60_000;
const region = "eu-west-1";
/** moto accepts any keys; callers with keys it did not issue belong to its default account. */
const motoDefaultAccount = "123456789012";
const keys = {
  AWS_ACCESS_KEY_ID: "AKIAMOTOTEST00000001",
  AWS_SECRET_ACCESS_KEY: "moto/test/secret/access/key",
};

/** The operator's SourceAccess, recording every TokenRequest token it hands out. */
class RecordingSourceAccess extends KubeSourceAccess {
  readonly issuedTokens: string[] = [];

  override async requestServiceAccountToken(
    name: string,
    audience: string,
    expirationSeconds: number,
  ): Promise<string> {
    const token = await super.requestServiceAccountToken(name, audience, expirationSeconds);
    this.issuedTokens.push(token);
    return token;
  }
}

describe("the ECR provider against moto", () => {
  let moto: Moto | undefined;
  let provider: Provider<EcrSource>;
  let core: k8s.CoreV1Api;
  let access: RecordingSourceAccess;

  beforeAll(async () => {
    moto = await startMoto();
    provider = createEcrProvider(
      defaultAwsClientFactories({ ecrEndpoint: moto.endpoint, stsEndpoint: moto.endpoint }),
    );
    core = adminKubeConfig().makeApiClient(k8s.CoreV1Api);
    const namespace = await createNamespace(core, "ecr-moto");
    access = new RecordingSourceAccess(core, namespace, {
      ambientIdentityAllowed: false,
      ambientAccessTokenAllowed: false,
    });
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: "aws-keys" }, stringData: keys },
    });
    await core.createNamespacedServiceAccount({
      namespace,
      body: {
        metadata: {
          name: "puller",
          annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::345678901234:role/tenant-puller" },
        },
      },
    });
  }, timeout);

  afterAll(async () => {
    await moto?.stop();
  });

  const mint = async (spec: EcrSource) => (await provider.resolve(spec, access)).mint();

  it(
    "mints a login with static keys from a Secret for the caller's account in the region",
    async () => {
      const [login, ...rest] = await mint({ region, auth: { secretRef: { name: "aws-keys" } } });
      expect(rest).toEqual([]);
      expect(login?.host).toBe(`${motoDefaultAccount}.dkr.ecr.${region}.amazonaws.com`);
      expect(login?.username).toBe("AWS");
      expect(login?.password.length).toBeGreaterThan(0);
    },
    timeout,
  );

  it(
    "reports moto's expiry in 2015 as it is, without clamping",
    async () => {
      const [login] = await mint({ region, auth: { secretRef: { name: "aws-keys" } } });
      expect(login?.expiresAt).toBeInstanceOf(Date);
      expect(login?.expiresAt?.getUTCFullYear()).toBe(2015);
    },
    timeout,
  );

  it(
    "mints a login per requested registry",
    async () => {
      const tokens = await mint({
        region: "us-east-2",
        registryIds: ["111122223333", "444455556666"],
        auth: { secretRef: { name: "aws-keys" } },
      });
      expect(tokens.map((login) => login.host).sort()).toEqual([
        "111122223333.dkr.ecr.us-east-2.amazonaws.com",
        "444455556666.dkr.ecr.us-east-2.amazonaws.com",
      ]);
    },
    timeout,
  );

  it(
    "chains assumeRole through moto STS and mints as the role's account",
    async () => {
      const [login] = await mint({
        region,
        auth: { secretRef: { name: "aws-keys" } },
        assumeRole: { roleArn: "arn:aws:iam::210987654321:role/ecr-puller", externalId: "tenant-a" },
      });
      expect(login?.host).toBe(`210987654321.dkr.ecr.${region}.amazonaws.com`);
    },
    timeout,
  );

  it(
    "exchanges a real TokenRequest token at AssumeRoleWithWebIdentity for the annotated role",
    async () => {
      const before = access.issuedTokens.length;
      const [login] = await mint({ region, auth: { serviceAccountRef: { name: "puller" } } });
      expect(login?.host).toBe(`345678901234.dkr.ecr.${region}.amazonaws.com`);
      const issued = access.issuedTokens.slice(before);
      expect(issued).toHaveLength(1);
      const claims = decodeJwt(issued[0] ?? "");
      expect(claims.aud).toEqual(["sts.amazonaws.com"]);
      expect(claims.sub).toBe(`system:serviceaccount:${access.namespace}:puller`);
      expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
    },
    timeout,
  );

  it(
    "chains assumeRole after the web identity",
    async () => {
      const [login] = await mint({
        region,
        auth: { serviceAccountRef: { name: "puller", audience: "ecr.example" } },
        assumeRole: { roleArn: "arn:aws:iam::567890123456:role/cross-account-puller" },
      });
      expect(login?.host).toBe(`567890123456.dkr.ecr.${region}.amazonaws.com`);
      const claims = decodeJwt(access.issuedTokens.at(-1) ?? "");
      expect(claims.aud).toEqual(["ecr.example"]);
    },
    timeout,
  );

  it(
    "gives a new identity once the real Secret is updated",
    async () => {
      const spec: EcrSource = { region, auth: { secretRef: { name: "aws-keys" } } };
      const before = (await provider.resolve(spec, access)).identity;
      await core.patchNamespacedSecret(
        { name: "aws-keys", namespace: access.namespace, body: { metadata: { labels: { rotated: "yes" } } } },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
      );
      const after = (await provider.resolve(spec, access)).identity;
      expect(after).not.toBe(before);
      expect(after).not.toContain(keys.AWS_SECRET_ACCESS_KEY);
    },
    timeout,
  );

  it(
    "reports a ServiceAccount that does not exist as AuthSecretMissing",
    async () => {
      await expect(
        provider.resolve({ region, auth: { serviceAccountRef: { name: "absent" } } }, access),
      ).rejects.toMatchObject({
        reason: "AuthSecretMissing",
      });
    },
    timeout,
  );
});
