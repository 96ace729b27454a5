import { describe, expect, it } from "@jest/globals";
import type { EcrSource } from "../../../../src/api/v1alpha1.js";
import { createEcrProvider } from "../../../../src/providers/ecr/provider.js";
import { FakeAwsClients } from "../../../fakes/ecr/fake-aws-clients.js";
import { FakeSourceAccess } from "../../../fakes/kube/fake-source-access.js";
import { accessWithKeys, ecrSpec, staticKeys } from "./fixtures.js";

const role = "arn:aws:iam::210987654321:role/ecr-puller";
const provider = createEcrProvider(new FakeAwsClients().factories());
const identityOf = async (spec: EcrSource, access: FakeSourceAccess = accessWithKeys()) =>
  (await provider.resolve(spec, access)).identity;

function accessWithServiceAccount(): FakeSourceAccess {
  return accessWithKeys().putServiceAccount("puller", { "eks.amazonaws.com/role-arn": role });
}

describe("ECR source identity", () => {
  it("reads as provider, region, registries and credential source", async () => {
    const access = accessWithKeys();
    const secret = access.secrets.get("aws-keys");
    expect(await identityOf(ecrSpec({ auth: { secretRef: { name: "aws-keys" } } }), access)).toBe(
      `ecr|eu-west-1|default|secret:tenant-a/aws-keys@${secret?.uid}:${secret?.resourceVersion}|keys=AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY`,
    );
    expect(
      await identityOf(
        ecrSpec({ auth: { serviceAccountRef: { name: "puller" } }, assumeRole: { roleArn: role } }),
        accessWithServiceAccount(),
      ),
    ).toBe(
      `ecr|eu-west-1|default|sa:tenant-a/puller@uid-sa-puller|role=${role}|aud=sts.amazonaws.com|assume=${role}|session=registry-credential-operator`,
    );
  });

  it("is the same for the ambient identity in any namespace, and for reordered registries", async () => {
    const ids = ["210987654321", "123456789012"];
    expect(await identityOf(ecrSpec({ registryIds: ids }), new FakeSourceAccess("a"))).toBe(
      await identityOf(ecrSpec({ registryIds: [...ids].reverse() }), new FakeSourceAccess("b")),
    );
  });

  it.each<[string, EcrSource, EcrSource]>([
    ["the region", ecrSpec({ region: "eu-west-1" }), ecrSpec({ region: "eu-central-1" })],
    ["the registries", ecrSpec(), ecrSpec({ registryIds: ["123456789012"] })],
    ["the host forms", ecrSpec(), ecrSpec({ hostForms: ["Standard", "DualStack"] })],
    ["ambient or a Secret", ecrSpec(), ecrSpec({ auth: { secretRef: { name: "aws-keys" } } })],
    [
      "the role of a ServiceAccount",
      ecrSpec({ auth: { serviceAccountRef: { name: "puller" } } }),
      ecrSpec({
        auth: { serviceAccountRef: { name: "puller", roleArn: "arn:aws:iam::210987654321:role/other" } },
      }),
    ],
    [
      "the audience of a ServiceAccount",
      ecrSpec({ auth: { serviceAccountRef: { name: "puller" } } }),
      ecrSpec({ auth: { serviceAccountRef: { name: "puller", audience: "other" } } }),
    ],
    [
      "the assumed role",
      ecrSpec({ assumeRole: { roleArn: role } }),
      ecrSpec({ assumeRole: { roleArn: `${role}-2` } }),
    ],
    [
      "the external ID",
      ecrSpec({ assumeRole: { roleArn: role, externalId: "one-id" } }),
      ecrSpec({ assumeRole: { roleArn: role, externalId: "another-id" } }),
    ],
    [
      "the access key ID key of the Secret",
      ecrSpec({ auth: { secretRef: { name: "aws-keys" } } }),
      ecrSpec({ auth: { secretRef: { name: "aws-keys", accessKeyIdKey: "PROD_ACCESS_KEY_ID" } } }),
    ],
    [
      "the secret access key key of the Secret",
      ecrSpec({ auth: { secretRef: { name: "aws-keys" } } }),
      ecrSpec({ auth: { secretRef: { name: "aws-keys", secretAccessKeyKey: "PROD_SECRET_ACCESS_KEY" } } }),
    ],
    [
      "the session token key of the Secret",
      ecrSpec({ auth: { secretRef: { name: "aws-keys" } } }),
      ecrSpec({ auth: { secretRef: { name: "aws-keys", sessionTokenKey: "PROD_SESSION_TOKEN" } } }),
    ],
    [
      "the session name",
      ecrSpec({ assumeRole: { roleArn: role } }),
      ecrSpec({ assumeRole: { roleArn: role, sessionName: "tenant-a" } }),
    ],
  ])("differs when %s differs", async (_name, one, other) => {
    expect(await identityOf(one, accessWithServiceAccount())).not.toBe(
      await identityOf(other, accessWithServiceAccount()),
    );
  });

  it("is the same for the default host forms and for reordered ones", async () => {
    expect(await identityOf(ecrSpec({ hostForms: ["Standard"] }))).toBe(await identityOf(ecrSpec()));
    expect(await identityOf(ecrSpec({ hostForms: ["DualStack", "Standard"] }))).toBe(
      await identityOf(ecrSpec({ hostForms: ["Standard", "DualStack"] })),
    );
  });

  it("changes when the Secret is replaced by one with the same name", async () => {
    const access = accessWithKeys();
    const spec = ecrSpec({ auth: { secretRef: { name: "aws-keys" } } });
    const before = await identityOf(spec, access);
    const secret = access.secrets.get("aws-keys");
    if (!secret) throw new Error("fixture Secret missing");
    access.secrets.set("aws-keys", { ...secret, uid: "uid-recreated" });
    expect(await identityOf(spec, access)).not.toBe(before);
  });

  it("holds no key material and no external ID", async () => {
    const identity = await identityOf(
      ecrSpec({
        auth: { secretRef: { name: "aws-keys" } },
        assumeRole: { roleArn: role, externalId: "external-id-value" },
      }),
    );
    expect(identity).not.toContain(staticKeys.accessKeyId);
    expect(identity).not.toContain(staticKeys.secretAccessKey);
    expect(identity).not.toContain("external-id-value");
    expect(identity).toMatch(/\|ext=sha256:[0-9a-f]{16}\|/);
  });
});
