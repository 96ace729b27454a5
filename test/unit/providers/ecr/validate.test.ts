import { describe, expect, it } from "@jest/globals";
import type { EcrSource } from "../../../../src/api/v1alpha1.js";
import { validateEcrSource } from "../../../../src/providers/ecr/validate.js";
import { ecrSpec } from "./fixtures.js";

const role = "arn:aws:iam::123456789012:role/ecr-puller";

describe("validateEcrSource", () => {
  it.each<[string, EcrSource]>([
    ["a standard region with ambient identity", ecrSpec()],
    ["a newer standard region", ecrSpec({ region: "ap-southeast-5" })],
    [
      "a GovCloud region with a GovCloud role",
      ecrSpec({
        region: "us-gov-west-1",
        assumeRole: { roleArn: "arn:aws-us-gov:iam::123456789012:role/r" },
      }),
    ],
    [
      "a China region with a China role",
      ecrSpec({ region: "cn-northwest-1", assumeRole: { roleArn: "arn:aws-cn:iam::123456789012:role/r" } }),
    ],
    ["an ISO region", ecrSpec({ region: "us-isob-east-1" })],
    ["12-digit registry IDs", ecrSpec({ registryIds: ["123456789012", "210987654321"] })],
    [
      "every host form in a US region",
      ecrSpec({ region: "us-east-1", hostForms: ["Standard", "FIPS", "DualStack", "DualStackFIPS"] }),
    ],
    ["FIPS in GovCloud", ecrSpec({ region: "us-gov-east-1", hostForms: ["FIPS"] })],
    ["dual-stack alone in Europe", ecrSpec({ hostForms: ["DualStack"] })],
    ["the Standard form in China", ecrSpec({ region: "cn-north-1", hostForms: ["Standard"] })],
    ["a secretRef with default key names", ecrSpec({ auth: { secretRef: { name: "aws-keys" } } })],
    [
      "a secretRef with its own key names",
      ecrSpec({
        auth: {
          secretRef: {
            name: "k",
            accessKeyIdKey: "id",
            secretAccessKeyKey: "secret",
            sessionTokenKey: "session.token",
          },
        },
      }),
    ],
    [
      "a serviceAccountRef relying on the role annotation",
      ecrSpec({ auth: { serviceAccountRef: { name: "puller" } } }),
    ],
    [
      "a serviceAccountRef with role and audience",
      ecrSpec({ auth: { serviceAccountRef: { name: "puller", roleArn: role, audience: "ecr-audience" } } }),
    ],
    [
      "a role with a path",
      ecrSpec({ assumeRole: { roleArn: "arn:aws:iam::123456789012:role/team/a/ecr-puller" } }),
    ],
    [
      "an assumeRole with external ID and session name",
      ecrSpec({ assumeRole: { roleArn: role, externalId: "tenant-a:42", sessionName: "regcred@tenant-a" } }),
    ],
  ])("accepts %s", (_name, spec) => {
    expect(validateEcrSource(spec)).toEqual([]);
  });

  it.each<[string, EcrSource, string]>([
    [
      "an upper-case region",
      ecrSpec({ region: "EU-WEST-1" }),
      'region "EU-WEST-1" is not an AWS region name',
    ],
    [
      "a region without its number",
      ecrSpec({ region: "eu-west" }),
      'region "eu-west" is not an AWS region name',
    ],
    [
      "a Google region",
      ecrSpec({ region: "europe-west1" }),
      'region "europe-west1" is not an AWS region name',
    ],
    [
      "an availability zone",
      ecrSpec({ region: "eu-west-1a" }),
      'region "eu-west-1a" is an availability zone, not a region; use "eu-west-1"',
    ],
    [
      "a short registry ID",
      ecrSpec({ registryIds: ["12345"] }),
      'registryIds[0] "12345" is not a 12-digit AWS account ID',
    ],
    [
      "a registry ID with letters",
      ecrSpec({ registryIds: ["123456789012", "12345678901a"] }),
      "registryIds[1]",
    ],
    [
      "a repeated registry ID",
      ecrSpec({ registryIds: ["123456789012", "123456789012"] }),
      "registryIds[1] repeats account ID 123456789012",
    ],
    [
      "an auth block with no reference",
      ecrSpec({ auth: {} }),
      "auth sets neither secretRef nor serviceAccountRef",
    ],
    [
      "an auth block with both references",
      ecrSpec({ auth: { secretRef: { name: "a" }, serviceAccountRef: { name: "b" } } }),
      "auth sets both secretRef and serviceAccountRef",
    ],
    [
      "a secretRef without a name",
      ecrSpec({ auth: { secretRef: { name: " " } } }),
      "auth.secretRef.name is empty",
    ],
    [
      "a Secret key name with a space",
      ecrSpec({ auth: { secretRef: { name: "k", accessKeyIdKey: "access key" } } }),
      'auth.secretRef.accessKeyIdKey "access key" is not a valid Secret data key',
    ],
    [
      "two credentials read from one Secret key",
      ecrSpec({ auth: { secretRef: { name: "k", sessionTokenKey: "AWS_SECRET_ACCESS_KEY" } } }),
      "auth.secretRef reads two credentials from the same Secret key",
    ],
    [
      "a malformed serviceAccountRef role",
      ecrSpec({ auth: { serviceAccountRef: { name: "puller", roleArn: "ecr-puller" } } }),
      'auth.serviceAccountRef.roleArn "ecr-puller" is not an IAM role ARN',
    ],
    [
      "an empty audience",
      ecrSpec({ auth: { serviceAccountRef: { name: "puller", audience: "" } } }),
      "auth.serviceAccountRef.audience is empty",
    ],
    [
      "a user ARN as the role",
      ecrSpec({ assumeRole: { roleArn: "arn:aws:iam::123456789012:user/ci" } }),
      'assumeRole.roleArn "arn:aws:iam::123456789012:user/ci" is not an IAM role ARN',
    ],
    [
      "a role ARN with an 11-digit account",
      ecrSpec({ assumeRole: { roleArn: "arn:aws:iam::12345678901:role/r" } }),
      "assumeRole.roleArn",
    ],
    [
      "a role in another partition than the region",
      ecrSpec({ region: "cn-north-1", assumeRole: { roleArn: role } }),
      "is in partition aws, but region cn-north-1 is in partition aws-cn",
    ],
    [
      "a FIPS host form outside the US",
      ecrSpec({ hostForms: ["Standard", "FIPS"] }),
      "hostForms[1] FIPS: ECR has FIPS endpoints only in the US and GovCloud regions",
    ],
    [
      "a dual-stack FIPS host form outside the US",
      ecrSpec({ region: "ca-central-1", hostForms: ["DualStackFIPS"] }),
      "hostForms[0] DualStackFIPS: ECR has FIPS endpoints only in the US and GovCloud regions",
    ],
    [
      "a dual-stack host form in China",
      ecrSpec({ region: "cn-northwest-1", hostForms: ["DualStack"] }),
      "hostForms[0] DualStack: ECR has no dual-stack registry endpoint in the aws-cn partition",
    ],
    [
      "a repeated host form",
      ecrSpec({ hostForms: ["Standard", "Standard"] }),
      "hostForms[1] repeats Standard",
    ],
    ["an empty list of host forms", ecrSpec({ hostForms: [] }), "hostForms is empty"],
    [
      "a one-character external ID",
      ecrSpec({ assumeRole: { roleArn: role, externalId: "x" } }),
      "assumeRole.externalId must be 2 to 1224 characters",
    ],
    [
      "a session name with a space",
      ecrSpec({ assumeRole: { roleArn: role, sessionName: "my session" } }),
      'assumeRole.sessionName "my session" must be 2 to 64 characters',
    ],
  ])("rejects %s", (_name, spec, expected) => {
    const problems = validateEcrSource(spec);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });

  it("does not quote an invalid external ID", () => {
    const problems = validateEcrSource(
      ecrSpec({ assumeRole: { roleArn: role, externalId: "shared secret?" } }),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).not.toContain("shared secret?");
  });

  it("reports every problem of a spec at once", () => {
    const problems = validateEcrSource({
      region: "eu-west",
      registryIds: ["1"],
      auth: {},
      assumeRole: { roleArn: "role" },
    });
    expect(problems).toHaveLength(4);
  });
});
