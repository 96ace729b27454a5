import { describe, expect, it } from "@jest/globals";
import type { AwsIdentitySpec, BaseIdentity } from "../../../../src/providers/ecr/credentials.js";
import { awsQuota } from "../../../../src/providers/ecr/quota.js";
import type { RegistryToken } from "../../../../src/providers/provider.js";

const keys: BaseIdentity = {
  kind: "secret",
  namespace: "team-a",
  name: "aws",
  uid: "u",
  resourceVersion: "1",
  keys: { accessKeyId: "AWS_ACCESS_KEY_ID", secretAccessKey: "AWS_SECRET_ACCESS_KEY" },
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "example" },
};
const irsa: BaseIdentity = {
  kind: "serviceAccount",
  namespace: "team-a",
  name: "puller",
  uid: "u",
  roleArn: "arn:aws:iam::222233334444:role/puller",
  audience: "sts.amazonaws.com",
};
const login = (host: string): RegistryToken => ({ host, username: "AWS", password: "p" });

describe("the quota an AWS mint counts against", () => {
  it.each<[string, AwsIdentitySpec, BaseIdentity, string]>([
    [
      "a chained role's account",
      { region: "eu-west-1", assumeRole: { roleArn: "arn:aws:iam::555566667777:role/r" } },
      irsa,
      "aws|555566667777|eu-west-1",
    ],
    ["the tenant's IRSA role's account", { region: "eu-west-1" }, irsa, "aws|222233334444|eu-west-1"],
    ["the partition of a China region", { region: "cn-north-1" }, keys, "aws-cn|?|cn-north-1"],
    ["no account for static keys", { region: "eu-west-1" }, keys, "aws|?|eu-west-1"],
    [
      "no account for the operator's ambient identity",
      { region: "us-east-1" },
      { kind: "ambient" },
      "aws|?|us-east-1",
    ],
  ])("is keyed by %s", (_name, spec, base, key) => {
    expect(awsQuota(spec, base, true).key).toBe(key);
  });

  it("learns the caller's account from the first registry host of a mint without registryIds", () => {
    const quota = awsQuota({ region: "eu-west-1" }, keys, true);
    expect(
      quota.learnedKey?.([login("public.ecr.aws"), login("111122223333.dkr.ecr.eu-west-1.amazonaws.com")]),
    ).toBe("aws|111122223333|eu-west-1");
    expect(quota.learnedKey?.([login("public.ecr.aws")])).toBeUndefined();
  });

  it.each([
    ["registryIds name other accounts' registries", { region: "eu-west-1" }, keys, false],
    ["the account is known already", { region: "eu-west-1" }, irsa, true],
  ] as const)("learns nothing when %s", (_name, spec, base, learnFromHosts) => {
    expect(awsQuota(spec, base, learnFromHosts).learnedKey).toBeUndefined();
  });
});
