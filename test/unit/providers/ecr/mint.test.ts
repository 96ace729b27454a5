// Minting: GetAuthorizationToken requests and how their answers and failures are reported.

import type { AuthorizationData } from "@aws-sdk/client-ecr";
import { describe, expect, it } from "@jest/globals";
import type { EcrSource } from "../../../../src/api/v1alpha1.js";
import { createEcrProvider } from "../../../../src/providers/ecr/provider.js";
import { awsError, FakeAwsClients } from "../../../fakes/ecr/fake-aws-clients.js";
import { accessWithKeys, credentialErrorOf, ecrSpec } from "./fixtures.js";

const secretSpec = (overrides: Partial<EcrSource> = {}) =>
  ecrSpec({ auth: { secretRef: { name: "aws-keys" } }, ...overrides });
const token = (login: string) => Buffer.from(login).toString("base64");
const endpoint = "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com";

function setup() {
  const aws = new FakeAwsClients();
  const access = accessWithKeys();
  const provider = createEcrProvider(aws.factories());
  const mint = async (spec: EcrSource, signal?: AbortSignal) =>
    (await provider.resolve(spec, access)).mint(signal);
  return { aws, mint };
}

function answering(aws: FakeAwsClients, authorizationData: AuthorizationData[] | undefined): void {
  aws.ecrAnswer = () => ({ $metadata: {}, ...(authorizationData ? { authorizationData } : {}) });
}

describe("ECR mint", () => {
  it("returns the login ECR issued, with a bare host and the reported expiry", async () => {
    const { aws, mint } = setup();
    const expiresAt = new Date("2031-02-03T04:05:06Z");
    answering(aws, [
      { authorizationToken: token("AWS:opaque-password"), expiresAt, proxyEndpoint: endpoint },
    ]);
    expect(await mint(secretSpec())).toEqual([
      {
        host: "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        username: "AWS",
        password: "opaque-password",
        expiresAt,
      },
    ]);
    expect(aws.sentFor("GetAuthorizationToken")[0]?.input).toEqual({});
  });

  it("reports an expiry in the past as it is", async () => {
    const { aws, mint } = setup();
    const past = new Date("2015-01-01T00:00:00Z");
    answering(aws, [{ authorizationToken: token("AWS:pw"), expiresAt: past, proxyEndpoint: endpoint }]);
    const [login] = await mint(secretSpec());
    expect(login?.expiresAt).toEqual(past);
  });

  it("leaves the expiry undefined when ECR reports none", async () => {
    const { aws, mint } = setup();
    answering(aws, [{ authorizationToken: token("AWS:pw"), proxyEndpoint: endpoint }]);
    const [login] = await mint(secretSpec());
    expect(login).toBeDefined();
    expect(login?.expiresAt).toBeUndefined();
  });

  it("passes registryIds and returns one login per registry host", async () => {
    const { aws, mint } = setup();
    const tokens = await mint(secretSpec({ registryIds: ["123456789012", "210987654321"] }));
    expect(aws.sentFor("GetAuthorizationToken")[0]?.input).toEqual({
      registryIds: ["123456789012", "210987654321"],
    });
    expect(tokens.map((login) => login.host)).toEqual([
      "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
      "210987654321.dkr.ecr.eu-west-1.amazonaws.com",
    ]);
  });

  it("writes every host form of every listed account from one call, each account with its own entry's token", async () => {
    const { aws, mint } = setup();
    const tokens = await mint(
      secretSpec({
        region: "us-east-1",
        registryIds: ["123456789012", "210987654321"],
        hostForms: ["Standard", "FIPS", "DualStack"],
      }),
    );
    expect(aws.sentFor("GetAuthorizationToken")).toHaveLength(1);
    expect(tokens.map((login) => login.host)).toEqual([
      "123456789012.dkr.ecr.us-east-1.amazonaws.com",
      "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com",
      "123456789012.dkr-ecr.us-east-1.on.aws",
      "210987654321.dkr.ecr.us-east-1.amazonaws.com",
      "210987654321.dkr.ecr-fips.us-east-1.amazonaws.com",
      "210987654321.dkr-ecr.us-east-1.on.aws",
    ]);
    const passwordsOf = (account: string) =>
      new Set(tokens.filter((t) => t.host.startsWith(account)).map((t) => t.password));
    expect(passwordsOf("123456789012").size).toBe(1);
    expect(passwordsOf("210987654321").size).toBe(1);
    expect(passwordsOf("123456789012")).not.toEqual(passwordsOf("210987654321"));
  });

  it("gives a listed account that ECR did not answer for the regional token of the first entry", async () => {
    const { aws, mint } = setup();
    answering(aws, [{ authorizationToken: token("AWS:regional"), proxyEndpoint: endpoint }]);
    const tokens = await mint(secretSpec({ registryIds: ["210987654321", "123456789012"] }));
    expect(tokens.map(({ host, password }) => [host, password])).toEqual([
      ["210987654321.dkr.ecr.eu-west-1.amazonaws.com", "regional"],
      ["123456789012.dkr.ecr.eu-west-1.amazonaws.com", "regional"],
    ]);
  });

  it("writes the caller's own account, read from the proxyEndpoint, in every requested form", async () => {
    const { aws, mint } = setup();
    answering(aws, [
      {
        authorizationToken: token("AWS:pw"),
        proxyEndpoint: "https://123456789012.dkr.ecr.us-gov-west-1.amazonaws.com",
      },
    ]);
    const tokens = await mint(secretSpec({ region: "us-gov-west-1", hostForms: ["FIPS", "Standard"] }));
    expect(tokens.map((login) => login.host)).toEqual([
      "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com",
      "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com",
    ]);
  });

  it("derives China hosts from the partition, whatever domain the proxyEndpoint names", async () => {
    const { aws, mint } = setup();
    // moto answers with .amazonaws.com in every region; real ECR in China with .amazonaws.com.cn.
    answering(aws, [
      {
        authorizationToken: token("AWS:pw"),
        proxyEndpoint: "https://123456789012.dkr.ecr.cn-north-1.amazonaws.com",
      },
    ]);
    const tokens = await mint(secretSpec({ region: "cn-north-1" }));
    expect(tokens.map((login) => login.host)).toEqual(["123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"]);
    expect(aws.sentFor("GetAuthorizationToken")[0]?.client.region).toBe("cn-north-1");
  });

  it("returns one login per host when ECR repeats a host", async () => {
    const { aws, mint } = setup();
    answering(aws, [
      { authorizationToken: token("AWS:first"), proxyEndpoint: endpoint },
      { authorizationToken: token("AWS:second"), proxyEndpoint: `${endpoint}/` },
    ]);
    const tokens = await mint(secretSpec());
    expect(tokens).toHaveLength(1);
  });

  it("passes the abort signal to every AWS call", async () => {
    const { aws, mint } = setup();
    const controller = new AbortController();
    await mint(
      secretSpec({ assumeRole: { roleArn: "arn:aws:iam::210987654321:role/r" } }),
      controller.signal,
    );
    expect(aws.sent.map((command) => command.client.abortSignal)).toEqual([
      controller.signal,
      controller.signal,
    ]);
  });

  it.each<[string, AuthorizationData[] | undefined, string]>([
    ["no authorizationData at all", undefined, "ECR returned no authorizationData"],
    ["an empty authorizationData list", [], "ECR returned no authorizationData"],
    [
      "an entry without a token",
      [{ proxyEndpoint: endpoint }],
      "ECR returned no authorizationToken in authorizationData[0]",
    ],
    [
      "a token that is not base64",
      [{ authorizationToken: "AWS:plain-text-password", proxyEndpoint: endpoint }],
      'ECR returned an authorizationToken that is not base64 of "<username>:<password>"',
    ],
    [
      "a token without a username separator",
      [{ authorizationToken: token("password-without-separator"), proxyEndpoint: endpoint }],
      'ECR returned an authorizationToken that is not base64 of "<username>:<password>"',
    ],
    [
      "an entry without a proxyEndpoint",
      [{ authorizationToken: token("AWS:pw") }],
      "ECR returned no proxyEndpoint",
    ],
    [
      "a proxyEndpoint that is no URL",
      [{ authorizationToken: token("AWS:pw"), proxyEndpoint: "https://not a host" }],
      "ECR returned a proxyEndpoint that is not an https URL of a host",
    ],
    [
      "a proxyEndpoint that is not a private ECR registry",
      [{ authorizationToken: token("AWS:pw"), proxyEndpoint: "https://registry.example.com" }],
      "ECR returned a proxyEndpoint that is not a private ECR registry host",
    ],
    [
      "a good entry followed by a bad one",
      [
        { authorizationToken: token("AWS:pw"), proxyEndpoint: endpoint },
        { authorizationToken: token("AWS:pw") },
      ],
      "ECR returned no proxyEndpoint in authorizationData[1]",
    ],
  ])("reports %s as a retryable ProviderError", async (_name, data, expected) => {
    const { aws, mint } = setup();
    answering(aws, data);
    const error = await credentialErrorOf(mint(secretSpec()));
    expect(error.reason).toBe("ProviderError");
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(expected);
    expect(error.message).toContain("GetAuthorizationToken in eu-west-1");
    for (const entry of data ?? []) {
      if (entry.authorizationToken) expect(error.message).not.toContain(entry.authorizationToken);
    }
  });

  it.each([
    [
      "an access denial",
      awsError(
        "AccessDeniedException",
        "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecr:GetAuthorizationToken",
        403,
      ),
      "ECR GetAuthorizationToken in eu-west-1 failed: AccessDeniedException: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecr:GetAuthorizationToken",
    ],
    [
      "an invalid signature",
      awsError("InvalidSignatureException", "The request signature we calculated does not match", 403),
      "ECR GetAuthorizationToken in eu-west-1 failed: InvalidSignatureException: The request signature we calculated does not match",
    ],
    [
      "an outage",
      awsError("ServerException", "internal failure", 500),
      "ECR GetAuthorizationToken in eu-west-1 failed: ServerException: internal failure",
    ],
    [
      "an abort",
      Object.assign(new Error("Request aborted"), { name: "AbortError" }),
      "ECR GetAuthorizationToken in eu-west-1 was aborted",
    ],
    [
      "a thrown non-error",
      "socket hang up",
      "ECR GetAuthorizationToken in eu-west-1 failed: unknown error: socket hang up",
    ],
  ])("reports %s as a retryable ProviderError with the AWS error name", async (_name, thrown, expected) => {
    const { aws, mint } = setup();
    aws.ecrAnswer = () => {
      throw thrown;
    };
    const error = await credentialErrorOf(mint(secretSpec()));
    expect(error.reason).toBe("ProviderError");
    expect(error.retryable).toBe(true);
    expect(error.message).toBe(expected);
    expect(aws.clientsDestroyed).toBe(aws.clientsCreated);
  });

  it("redacts long opaque values that an AWS error message quotes", async () => {
    const { aws, mint } = setup();
    const opaque = "A".repeat(30) + "b".repeat(30);
    aws.ecrAnswer = () => {
      throw awsError("UnrecognizedClientException", `The security token ${opaque} is invalid`);
    };
    const error = await credentialErrorOf(mint(secretSpec()));
    expect(error.message).not.toContain(opaque);
    expect(error.message).toContain("The security token [REDACTED] is invalid");
  });
});
