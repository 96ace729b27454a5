// The ECR Public provider against the provider contract, with the real AWS SDK talking SigV4-signed
// AWS JSON (signing name ecr-public, us-east-1) to a local fake of the ecr-public API.
import type { EcrPublicSource } from "../../../src/api/v1alpha1.js";
import { defaultAwsClientFactories } from "../../../src/providers/ecr/provider.js";
import { createEcrPublicProvider } from "../../../src/providers/ecr-public/provider.js";
import { describeProviderConformance } from "../../conformance/provider-conformance.js";
import { FakeEcrPublicServer } from "../../fakes/ecr/fake-ecr-public-server.js";
import { FakeSourceAccess } from "../../fakes/kube/fake-source-access.js";

const keys = {
  accessKeyId: "AKIAFAKEECRPUBLIC001",
  secretAccessKey: "fake/ecr-public+secret/access/key/000001",
};

describeProviderConformance<EcrPublicSource>("ecrPublic", async () => {
  const ecrPublic = await new FakeEcrPublicServer().start();
  ecrPublic.registerCredentials(keys);
  const access = new FakeSourceAccess("tenant-a", true)
    .putSecret("aws-keys", {
      AWS_ACCESS_KEY_ID: keys.accessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    })
    .putSecret("aws-garbled", { access_key: "not the expected key names" });
  return {
    provider: createEcrPublicProvider(defaultAwsClientFactories({ ecrPublicEndpoint: ecrPublic.endpoint })),
    access,
    validSpec: { auth: { secretRef: { name: "aws-keys" } } },
    secretName: "aws-keys",
    ambientSpec: {},
    garbledSecretSpec: { auth: { secretRef: { name: "aws-garbled" } } },
    missingSecretSpec: { auth: { secretRef: { name: "absent" } } },
    invalidSpecs: [
      ["an auth block with neither reference", { auth: {} }],
      [
        "an auth block with both references",
        { auth: { secretRef: { name: "a" }, serviceAccountRef: { name: "b" } } },
      ],
      ["a malformed assumeRole ARN", { assumeRole: { roleArn: "arn:aws:iam::1:role/x" } }],
      [
        "a role in the China partition, where ECR Public does not exist",
        { assumeRole: { roleArn: "arn:aws-cn:iam::123456789012:role/puller" } },
      ],
    ],
    breakCloud: () => ecrPublic.behave("server-error"),
    makeCloudAnswerNonsense: () => ecrPublic.behave("empty"),
    secretValues: () => [keys.secretAccessKey, ...ecrPublic.issuedSecrets],
    close: () => ecrPublic.close(),
  };
});
