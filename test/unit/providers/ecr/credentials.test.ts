// Credential resolution of the ECR provider, observed at the SDK client seam.
import { describe, expect, it } from "@jest/globals";
import type { EcrSource } from "../../../../src/api/v1alpha1.js";
import { createEcrProvider } from "../../../../src/providers/ecr/provider.js";
import { awsError, FakeAwsClients } from "../../../fakes/ecr/fake-aws-clients.js";
import type { FakeSourceAccess } from "../../../fakes/kube/fake-source-access.js";
import { accessWithKeys, credentialErrorOf, ecrSpec, staticKeys } from "./fixtures.js";

const annotatedRole = "arn:aws:iam::123456789012:role/from-annotation";
const explicitRole = "arn:aws:iam::123456789012:role/explicit";
const chainedRole = "arn:aws:iam::210987654321:role/ecr-puller";

function setup(access: FakeSourceAccess = accessWithKeys()) {
  const aws = new FakeAwsClients();
  const provider = createEcrProvider(aws.factories());
  const mint = async (spec: EcrSource) => (await provider.resolve(spec, access)).mint();
  return { aws, access, provider, mint };
}

function withServiceAccount(annotations: Record<string, string> = {}): FakeSourceAccess {
  return accessWithKeys({
    issueToken: (name, audience) => `projected-token:${name}:${audience}`,
  }).putServiceAccount("puller", annotations);
}

describe("ECR credentials: ambient identity", () => {
  it("signs with the operator's own credentials when the policy allows it", async () => {
    const { aws, mint } = setup();
    await mint(ecrSpec());
    expect(aws.ambientRequests).toBe(1);
    expect(aws.sent.map((command) => command.operation)).toEqual(["GetAuthorizationToken"]);
    expect(aws.sentFor("GetAuthorizationToken")[0]?.client).toMatchObject({
      region: "eu-west-1",
      credentials: aws.ambient,
    });
  });

  it("refuses as Forbidden, explaining the policy, when the policy forbids it", async () => {
    const { aws, access, provider } = setup(accessWithKeys({ ambientIdentityAllowed: false }));
    const error = await credentialErrorOf(provider.resolve(ecrSpec(), access));
    expect(error.reason).toBe("Forbidden");
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("does not allow ambient identity");
    expect(error.message).toContain("namespace tenant-a");
    expect(aws.ambientRequests).toBe(0);
    expect(aws.clientsCreated).toBe(0);
  });
});

describe("ECR credentials: secretRef", () => {
  it("signs with the static keys of the Secret", async () => {
    const { aws, mint } = setup();
    await mint(ecrSpec({ auth: { secretRef: { name: "aws-keys" } } }));
    expect(aws.sentFor("GetAuthorizationToken")[0]?.client.credentials).toEqual({
      accessKeyId: staticKeys.accessKeyId,
      secretAccessKey: staticKeys.secretAccessKey,
    });
    expect(aws.ambientRequests).toBe(0);
  });

  it("reads a session token and custom key names, trimming a trailing newline", async () => {
    const access = accessWithKeys().putSecret("custom", {
      id: `${staticKeys.accessKeyId}\n`,
      key: staticKeys.secretAccessKey,
      token: staticKeys.sessionToken,
    });
    const { aws, mint } = setup(access);
    await mint(
      ecrSpec({
        auth: {
          secretRef: {
            name: "custom",
            accessKeyIdKey: "id",
            secretAccessKeyKey: "key",
            sessionTokenKey: "token",
          },
        },
      }),
    );
    expect(aws.sentFor("GetAuthorizationToken")[0]?.client.credentials).toEqual(staticKeys);
  });

  it("picks up AWS_SESSION_TOKEN when present under its default name", async () => {
    const access = accessWithKeys().putSecret("with-session", {
      AWS_ACCESS_KEY_ID: staticKeys.accessKeyId,
      AWS_SECRET_ACCESS_KEY: staticKeys.secretAccessKey,
      AWS_SESSION_TOKEN: staticKeys.sessionToken,
    });
    const { aws, mint } = setup(access);
    await mint(ecrSpec({ auth: { secretRef: { name: "with-session" } } }));
    expect(aws.sentFor("GetAuthorizationToken")[0]?.client.credentials).toEqual(staticKeys);
  });

  it.each<[string, Record<string, string>, { sessionTokenKey?: string }, string]>([
    [
      "a missing access key ID",
      { AWS_SECRET_ACCESS_KEY: staticKeys.secretAccessKey },
      {},
      "Secret tenant-a/broken has no key AWS_ACCESS_KEY_ID",
    ],
    [
      "a missing secret access key",
      { AWS_ACCESS_KEY_ID: staticKeys.accessKeyId },
      {},
      "Secret tenant-a/broken has no key AWS_SECRET_ACCESS_KEY",
    ],
    [
      "a missing session token that the spec names",
      { AWS_ACCESS_KEY_ID: staticKeys.accessKeyId, AWS_SECRET_ACCESS_KEY: staticKeys.secretAccessKey },
      { sessionTokenKey: "SESSION" },
      "Secret tenant-a/broken has no key SESSION",
    ],
    [
      "an empty secret access key",
      { AWS_ACCESS_KEY_ID: staticKeys.accessKeyId, AWS_SECRET_ACCESS_KEY: "" },
      {},
      "Secret tenant-a/broken key AWS_SECRET_ACCESS_KEY is empty",
    ],
    [
      "a whitespace-only access key ID",
      { AWS_ACCESS_KEY_ID: " \n", AWS_SECRET_ACCESS_KEY: staticKeys.secretAccessKey },
      {},
      "Secret tenant-a/broken key AWS_ACCESS_KEY_ID is empty",
    ],
    [
      "an access key ID that is no access key ID",
      { AWS_ACCESS_KEY_ID: "not-a-key-id-at-all", AWS_SECRET_ACCESS_KEY: staticKeys.secretAccessKey },
      {},
      "Secret tenant-a/broken key AWS_ACCESS_KEY_ID does not hold an AWS access key ID",
    ],
    [
      "a secret access key with inner spaces",
      { AWS_ACCESS_KEY_ID: staticKeys.accessKeyId, AWS_SECRET_ACCESS_KEY: "two words secret" },
      {},
      "Secret tenant-a/broken key AWS_SECRET_ACCESS_KEY holds characters that cannot appear in AWS credentials",
    ],
  ])(
    "reports %s as InvalidSpec naming the Secret and key, not the value",
    async (_name, data, keys, expected) => {
      const access = accessWithKeys().putSecret("broken", data);
      const { aws, access: a, provider } = setup(access);
      const error = await credentialErrorOf(
        provider.resolve(ecrSpec({ auth: { secretRef: { name: "broken", ...keys } } }), a),
      );
      expect(error.reason).toBe("InvalidSpec");
      expect(error.retryable).toBe(false);
      expect(error.message).toContain(expected);
      for (const value of Object.values(data).filter((v) => v.trim() !== ""))
        expect(error.message).not.toContain(value);
      expect(aws.clientsCreated).toBe(0);
    },
  );

  it("reports a missing Secret as AuthSecretMissing", async () => {
    const { access, provider } = setup();
    const error = await credentialErrorOf(
      provider.resolve(ecrSpec({ auth: { secretRef: { name: "absent" } } }), access),
    );
    expect(error.reason).toBe("AuthSecretMissing");
  });
});

describe("ECR credentials: serviceAccountRef", () => {
  it("exchanges a TokenRequest token for the annotated role, unsigned, and signs ECR with the role", async () => {
    const { aws, access, mint } = setup(withServiceAccount({ "eks.amazonaws.com/role-arn": annotatedRole }));
    await mint(ecrSpec({ auth: { serviceAccountRef: { name: "puller" } } }));
    expect(access.tokenRequests).toEqual([
      { name: "puller", audience: "sts.amazonaws.com", expirationSeconds: 3600 },
    ]);
    expect(aws.sent.map((command) => command.operation)).toEqual([
      "AssumeRoleWithWebIdentity",
      "GetAuthorizationToken",
    ]);
    const exchange = aws.sentFor("AssumeRoleWithWebIdentity")[0];
    expect(exchange?.input).toEqual({
      RoleArn: annotatedRole,
      RoleSessionName: "registry-credential-operator",
      WebIdentityToken: "projected-token:puller:sts.amazonaws.com",
    });
    expect(exchange?.client).toMatchObject({ region: "eu-west-1", credentials: undefined });
    expect(aws.sentFor("GetAuthorizationToken")[0]?.client.credentials).toMatchObject({
      accessKeyId: "ASIA-from-annotation",
      sessionToken: "session-of-from-annotation",
    });
  });

  it("prefers an explicit roleArn over the annotation and requests the given audience", async () => {
    const { aws, access, mint } = setup(withServiceAccount({ "eks.amazonaws.com/role-arn": annotatedRole }));
    await mint(
      ecrSpec({
        auth: { serviceAccountRef: { name: "puller", roleArn: explicitRole, audience: "tenant-a.example" } },
      }),
    );
    expect(access.tokenRequests[0]?.audience).toBe("tenant-a.example");
    expect(aws.sentFor("AssumeRoleWithWebIdentity")[0]?.input).toMatchObject({
      RoleArn: explicitRole,
      WebIdentityToken: "projected-token:puller:tenant-a.example",
    });
  });

  it("requests a fresh ServiceAccount token for every mint", async () => {
    const { access, provider } = setup(withServiceAccount({ "eks.amazonaws.com/role-arn": annotatedRole }));
    const resolved = await provider.resolve(
      ecrSpec({ auth: { serviceAccountRef: { name: "puller" } } }),
      access,
    );
    await resolved.mint();
    await resolved.mint();
    expect(access.tokenRequests).toHaveLength(2);
  });

  it("reports a ServiceAccount with neither annotation nor roleArn as InvalidSpec", async () => {
    const { aws, access, provider } = setup(withServiceAccount());
    const error = await credentialErrorOf(
      provider.resolve(ecrSpec({ auth: { serviceAccountRef: { name: "puller" } } }), access),
    );
    expect(error.reason).toBe("InvalidSpec");
    expect(error.message).toContain(
      "ServiceAccount tenant-a/puller has no eks.amazonaws.com/role-arn annotation",
    );
    expect(access.tokenRequests).toEqual([]);
    expect(aws.clientsCreated).toBe(0);
  });

  it("reports a malformed role annotation as InvalidSpec", async () => {
    const { access, provider } = setup(withServiceAccount({ "eks.amazonaws.com/role-arn": "puller-role" }));
    const error = await credentialErrorOf(
      provider.resolve(ecrSpec({ auth: { serviceAccountRef: { name: "puller" } } }), access),
    );
    expect(error.reason).toBe("InvalidSpec");
    expect(error.message).toContain(
      "eks.amazonaws.com/role-arn annotation of ServiceAccount tenant-a/puller",
    );
  });

  it("reports a missing ServiceAccount as AuthSecretMissing", async () => {
    const { access, provider } = setup();
    const error = await credentialErrorOf(
      provider.resolve(ecrSpec({ auth: { serviceAccountRef: { name: "absent" } } }), access),
    );
    expect(error.reason).toBe("AuthSecretMissing");
  });

  it("reports a failed TokenRequest as a retryable ProviderError naming the ServiceAccount", async () => {
    const access = accessWithKeys({
      issueToken: () => {
        throw new Error("serviceaccounts/token is forbidden");
      },
    }).putServiceAccount("puller", { "eks.amazonaws.com/role-arn": annotatedRole });
    const { aws, provider } = setup(access);
    const resolved = await provider.resolve(
      ecrSpec({ auth: { serviceAccountRef: { name: "puller" } } }),
      access,
    );
    const error = await credentialErrorOf(resolved.mint());
    expect(error.reason).toBe("ProviderError");
    expect(error.retryable).toBe(true);
    expect(error.message).toContain("TokenRequest for ServiceAccount tenant-a/puller");
    expect(aws.sent).toEqual([]);
  });
});

describe("ECR credentials: assumeRole", () => {
  it("chains AssumeRole after static keys, passing ExternalId and the default session name", async () => {
    const { aws, mint } = setup();
    await mint(
      ecrSpec({
        auth: { secretRef: { name: "aws-keys" } },
        assumeRole: { roleArn: chainedRole, externalId: "tenant-a-external-id" },
      }),
    );
    expect(aws.sent.map((command) => command.operation)).toEqual(["AssumeRole", "GetAuthorizationToken"]);
    const assume = aws.sentFor("AssumeRole")[0];
    expect(assume?.input).toEqual({
      RoleArn: chainedRole,
      RoleSessionName: "registry-credential-operator",
      ExternalId: "tenant-a-external-id",
    });
    expect(assume?.client.credentials).toEqual({
      accessKeyId: staticKeys.accessKeyId,
      secretAccessKey: staticKeys.secretAccessKey,
    });
    expect(aws.sentFor("GetAuthorizationToken")[0]?.client.credentials).toMatchObject({
      accessKeyId: "ASIA-ecr-puller",
    });
  });

  it("chains AssumeRole after the web identity, with the given session name and no ExternalId", async () => {
    const { aws, mint } = setup(withServiceAccount({ "eks.amazonaws.com/role-arn": annotatedRole }));
    await mint(
      ecrSpec({
        auth: { serviceAccountRef: { name: "puller" } },
        assumeRole: { roleArn: chainedRole, sessionName: "tenant-a" },
      }),
    );
    expect(aws.sent.map((command) => command.operation)).toEqual([
      "AssumeRoleWithWebIdentity",
      "AssumeRole",
      "GetAuthorizationToken",
    ]);
    const assume = aws.sentFor("AssumeRole")[0];
    expect(assume?.input).toEqual({ RoleArn: chainedRole, RoleSessionName: "tenant-a" });
    expect(assume?.client.credentials).toMatchObject({ accessKeyId: "ASIA-from-annotation" });
  });

  it("chains AssumeRole after the ambient identity", async () => {
    const { aws, mint } = setup();
    await mint(ecrSpec({ assumeRole: { roleArn: chainedRole } }));
    expect(aws.sentFor("AssumeRole")[0]?.client.credentials).toBe(aws.ambient);
  });

  it("reports a failed AssumeRole as a retryable ProviderError naming the role and the AWS error", async () => {
    const { aws, mint } = setup();
    aws.stsAnswer = () => {
      throw awsError("AccessDenied", "User is not authorized to perform: sts:AssumeRole", 403);
    };
    const error = await credentialErrorOf(
      mint(ecrSpec({ auth: { secretRef: { name: "aws-keys" } }, assumeRole: { roleArn: chainedRole } })),
    );
    expect(error.reason).toBe("ProviderError");
    expect(error.retryable).toBe(true);
    expect(error.message).toBe(
      `STS AssumeRole for ${chainedRole} in eu-west-1 failed: AccessDenied: User is not authorized to perform: sts:AssumeRole`,
    );
    expect(aws.sentFor("GetAuthorizationToken")).toEqual([]);
  });

  it("reports STS answering without credentials as a ProviderError", async () => {
    const { aws, mint } = setup();
    aws.stsAnswer = () => ({});
    const error = await credentialErrorOf(mint(ecrSpec({ assumeRole: { roleArn: chainedRole } })));
    expect(error.reason).toBe("ProviderError");
    expect(error.message).toContain("returned no complete credentials");
  });

  it("destroys every client it creates", async () => {
    const { aws, mint } = setup(withServiceAccount({ "eks.amazonaws.com/role-arn": annotatedRole }));
    await mint(
      ecrSpec({ auth: { serviceAccountRef: { name: "puller" } }, assumeRole: { roleArn: chainedRole } }),
    );
    expect(aws.clientsCreated).toBe(3);
    expect(aws.clientsDestroyed).toBe(3);
  });
});
