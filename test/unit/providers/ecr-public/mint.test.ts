// ECR Public minting: the ecr-public API in us-east-1, its identities, and how it fails.
import { GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr-public";
import { describe, expect, it } from "@jest/globals";
import type { EcrPublicSource } from "../../../../src/api/v1alpha1.js";
import { defaultAwsClientFactories } from "../../../../src/providers/ecr/provider.js";
import { createEcrPublicProvider } from "../../../../src/providers/ecr-public/provider.js";
import { awsError, FakeAwsClients } from "../../../fakes/ecr/fake-aws-clients.js";
import { FakeEcrPublicServer } from "../../../fakes/ecr/fake-ecr-public-server.js";
import { accessWithKeys, credentialErrorOf, staticKeys } from "../ecr/fixtures.js";

const role = "arn:aws:iam::123456789012:role/public-puller";
const secretSpec: EcrPublicSource = { auth: { secretRef: { name: "aws-keys" } } };

function setup() {
  const aws = new FakeAwsClients();
  const provider = createEcrPublicProvider(aws.factories());
  const access = accessWithKeys().putServiceAccount("puller", { "eks.amazonaws.com/role-arn": role });
  const mint = async (spec: EcrPublicSource) => (await provider.resolve(spec, access)).mint();
  return { aws, provider, access, mint };
}

describe("ECR Public mint", () => {
  it("returns the public.ecr.aws login with the reported expiry, asked of us-east-1", async () => {
    const { aws, mint } = setup();
    const expiresAt = new Date("2031-02-03T04:05:06Z");
    aws.ecrPublicAnswer = () => ({
      $metadata: {},
      authorizationData: {
        authorizationToken: Buffer.from("AWS:public-password").toString("base64"),
        expiresAt,
      },
    });
    expect(await mint(secretSpec)).toEqual([
      { host: "public.ecr.aws", username: "AWS", password: "public-password", expiresAt },
    ]);
    const [call] = aws.sentFor("GetPublicAuthorizationToken");
    expect(call?.client).toMatchObject({ service: "ecr-public", region: "us-east-1" });
    expect(call?.client.credentials).toMatchObject({ accessKeyId: staticKeys.accessKeyId });
  });

  it.each<[string, EcrPublicSource, string[]]>([
    [
      "a tenant ServiceAccount (per-tenant IRSA), exchanged at STS in us-east-1",
      { auth: { serviceAccountRef: { name: "puller" } } },
      ["AssumeRoleWithWebIdentity", "GetPublicAuthorizationToken"],
    ],
    [
      "static keys with a chained role",
      { auth: { secretRef: { name: "aws-keys" } }, assumeRole: { roleArn: role } },
      ["AssumeRole", "GetPublicAuthorizationToken"],
    ],
    ["the operator's ambient identity", {}, ["GetPublicAuthorizationToken"]],
  ])("signs with %s", async (_name, spec, operations) => {
    const { aws, mint } = setup();
    await mint(spec);
    expect(aws.sent.map((command) => command.operation)).toEqual(operations);
    expect(aws.sent.map((command) => command.client.region)).toEqual(operations.map(() => "us-east-1"));
  });

  it("reads as ecr-public, its API region and the credential chain", async () => {
    const { provider, access } = setup();
    const secret = access.secrets.get("aws-keys");
    expect((await provider.resolve({ ...secretSpec, assumeRole: { roleArn: role } }, access)).identity).toBe(
      `ecr-public|us-east-1|secret:tenant-a/aws-keys@${secret?.uid}:${secret?.resourceVersion}|keys=AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY|assume=${role}|session=registry-credential-operator`,
    );
  });

  it("refuses a ServiceAccount annotated with a role outside the aws partition", async () => {
    const { provider, access } = setup();
    access.putServiceAccount("china", {
      "eks.amazonaws.com/role-arn": "arn:aws-cn:iam::123456789012:role/r",
    });
    const error = await credentialErrorOf(
      provider.resolve({ auth: { serviceAccountRef: { name: "china" } } }, access),
    );
    expect(error.reason).toBe("InvalidSpec");
    expect(error.message).toContain("is in partition aws-cn");
  });

  it.each<[string, EcrPublicSource, string]>([
    [
      "a role in the China partition",
      { assumeRole: { roleArn: "arn:aws-cn:iam::123456789012:role/r" } },
      'assumeRole.roleArn "arn:aws-cn:iam::123456789012:role/r" is in partition aws-cn, but ECR Public (served from us-east-1) is in partition aws',
    ],
    [
      "a GovCloud serviceAccountRef role",
      { auth: { serviceAccountRef: { name: "puller", roleArn: "arn:aws-us-gov:iam::123456789012:role/r" } } },
      "auth.serviceAccountRef.roleArn",
    ],
  ])("rejects %s in validation, naming the field", (_name, spec, expected) => {
    const { provider } = setup();
    const problems = provider.validate(spec);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });

  it.each([
    ["an answer without authorizationData", undefined, "ECR Public returned no authorizationToken"],
    [
      "a token that is not base64 of a login",
      { authorizationToken: "AWS:plain" },
      'ECR Public returned an authorizationToken that is not base64 of "<username>:<password>"',
    ],
  ])("reports %s as a retryable ProviderError", async (_name, authorizationData, expected) => {
    const { aws, mint } = setup();
    aws.ecrPublicAnswer = () => ({ $metadata: {}, ...(authorizationData ? { authorizationData } : {}) });
    const error = await credentialErrorOf(mint(secretSpec));
    expect(error.reason).toBe("ProviderError");
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(expected);
  });

  it("names the AWS error and keeps the held keys out of the message", async () => {
    const { aws, mint } = setup();
    aws.ecrPublicAnswer = () => {
      throw awsError("ServerException", `failure while checking ${staticKeys.secretAccessKey}`, 500);
    };
    const error = await credentialErrorOf(mint(secretSpec));
    expect(error.message).toBe(
      "ECR Public GetAuthorizationToken in us-east-1 failed: ServerException: failure while checking [REDACTED]",
    );
    expect(aws.clientsDestroyed).toBe(aws.clientsCreated);
  });
});

describe("ECR Public over HTTP", () => {
  it("names both IAM actions when the identity may not get a service bearer token", async () => {
    const server = await new FakeEcrPublicServer().start();
    try {
      server.registerCredentials({ ...staticKeys, sessionToken: undefined, bearerTokenAllowed: false });
      const provider = createEcrPublicProvider(
        defaultAwsClientFactories({ ecrPublicEndpoint: server.endpoint }),
      );
      const error = await credentialErrorOf((await provider.resolve(secretSpec, accessWithKeys())).mint());
      expect(error.reason).toBe("ProviderError");
      expect(error.message).toContain("AccessDeniedException");
      expect(error.message).toContain("is not authorized to perform: sts:GetServiceBearerToken");
      expect(error.message).toContain(
        "an ECR Public login needs both ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken",
      );
    } finally {
      await server.close();
    }
  });

  it("is refused by the fake when signed for another region than us-east-1", async () => {
    const server = await new FakeEcrPublicServer().start();
    try {
      server.registerCredentials({
        accessKeyId: staticKeys.accessKeyId,
        secretAccessKey: staticKeys.secretAccessKey,
      });
      const factories = defaultAwsClientFactories({ ecrPublicEndpoint: server.endpoint, maxAttempts: 1 });
      const client = await factories.ecrPublic({
        region: "us-west-2",
        credentials: { accessKeyId: staticKeys.accessKeyId, secretAccessKey: staticKeys.secretAccessKey },
      });
      await expect(client.send(new GetAuthorizationTokenCommand({}))).rejects.toMatchObject({
        name: "InvalidSignatureException",
      });
      client.destroy();
      expect(server.calls).toBe(1);
    } finally {
      await server.close();
    }
  });
});
