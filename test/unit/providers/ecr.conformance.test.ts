// The ECR provider against the provider contract, with the real AWS SDK talking SigV4-signed
// AWS JSON to a local fake ECR.
import type { EcrSource } from "../../../src/api/v1alpha1.js";
import { createEcrProvider, defaultAwsClientFactories } from "../../../src/providers/ecr/provider.js";
import { describeProviderConformance } from "../../conformance/provider-conformance.js";
import { FakeEcrServer } from "../../fakes/ecr/fake-ecr-server.js";
import { FakeSourceAccess } from "../../fakes/kube/fake-source-access.js";

const keys = {
  accessKeyId: "AKIAFAKEECR000000001",
  secretAccessKey: "fake/ecr+secret/access/key/0000000000001",
};

describeProviderConformance<EcrSource>("ecr", async () => {
  const ecr = await new FakeEcrServer("eu-west-1", "123456789012").start();
  ecr.registerCredentials(keys);
  const access = new FakeSourceAccess("tenant-a", true)
    .putSecret("aws-keys", {
      AWS_ACCESS_KEY_ID: keys.accessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    })
    .putSecret("aws-garbled", { access_key: "not the expected key names" });
  return {
    provider: createEcrProvider(defaultAwsClientFactories({ ecrEndpoint: ecr.endpoint })),
    access,
    validSpec: { region: "eu-west-1", auth: { secretRef: { name: "aws-keys" } } },
    secretName: "aws-keys",
    ambientSpec: { region: "eu-west-1" },
    garbledSecretSpec: { region: "eu-west-1", auth: { secretRef: { name: "aws-garbled" } } },
    missingSecretSpec: { region: "eu-west-1", auth: { secretRef: { name: "absent" } } },
    invalidSpecs: [
      ["a region that is not an AWS region", { region: "europe-west1" }],
      ["an availability zone given as region", { region: "eu-west-1a" }],
      ["a registry ID that is not 12 digits", { region: "eu-west-1", registryIds: ["12345"] }],
      ["an auth block with neither reference", { region: "eu-west-1", auth: {} }],
      [
        "an auth block with both references",
        { region: "eu-west-1", auth: { secretRef: { name: "a" }, serviceAccountRef: { name: "b" } } },
      ],
      [
        "a malformed assumeRole ARN",
        { region: "eu-west-1", assumeRole: { roleArn: "arn:aws:iam::1:role/x" } },
      ],
    ],
    breakCloud: () => ecr.behave("server-error"),
    makeCloudAnswerNonsense: () => ecr.behave("empty"),
    secretValues: () => [keys.secretAccessKey, ...ecr.issuedSecrets],
    close: () => ecr.close(),
  };
});
