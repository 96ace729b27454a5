// The ECR provider with the real AWS SDK against the fake ECR over HTTP: what the server checks
// and how its answers reach the provider's caller.
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import type { EcrSource } from "../../../../src/api/v1alpha1.js";
import { createEcrProvider, defaultAwsClientFactories } from "../../../../src/providers/ecr/provider.js";
import type { Provider } from "../../../../src/providers/provider.js";
import { FakeEcrServer } from "../../../fakes/ecr/fake-ecr-server.js";
import type { FakeSourceAccess } from "../../../fakes/kube/fake-source-access.js";
import { accessWithKeys, credentialErrorOf, ecrSpec, staticKeys } from "./fixtures.js";

const secretSpec = (overrides: Partial<EcrSource> = {}) =>
  ecrSpec({ auth: { secretRef: { name: "aws-keys" } }, ...overrides });

describe("the ECR provider against the fake ECR", () => {
  let ecr: FakeEcrServer;
  let provider: Provider<EcrSource>;
  let access: FakeSourceAccess;
  const mint = async (spec: EcrSource) => (await provider.resolve(spec, access)).mint();

  beforeEach(async () => {
    ecr = await new FakeEcrServer("eu-west-1", "123456789012").start();
    ecr.registerCredentials({
      accessKeyId: staticKeys.accessKeyId,
      secretAccessKey: staticKeys.secretAccessKey,
    });
    provider = createEcrProvider(defaultAwsClientFactories({ ecrEndpoint: ecr.endpoint }));
    access = accessWithKeys();
  });

  afterEach(async () => {
    await ecr.close();
  });

  it("mints a login for the caller's account, signed with the Secret's keys", async () => {
    const [login, ...rest] = await mint(secretSpec());
    expect(rest).toEqual([]);
    expect(login?.host).toBe("123456789012.dkr.ecr.eu-west-1.amazonaws.com");
    expect(login?.username).toBe("AWS");
    expect(ecr.issuedSecrets).toContain(login?.password);
    expect(ecr.calls).toBe(1);
    expect(ecr.accessKeyIds).toEqual([staticKeys.accessKeyId]);
    expect(ecr.registryIdRequests).toEqual([undefined]);
  });

  it("issues a different password on every mint", async () => {
    const resolved = await provider.resolve(secretSpec(), access);
    const [first] = await resolved.mint();
    const [second] = await resolved.mint();
    expect(first?.password).not.toBe(second?.password);
    expect(ecr.calls).toBe(2);
  });

  it("sends the registryIds and returns a login per registry", async () => {
    const tokens = await mint(secretSpec({ registryIds: ["210987654321", "123456789012"] }));
    expect(ecr.registryIdRequests).toEqual([["210987654321", "123456789012"]]);
    expect(tokens.map((login) => login.host).sort()).toEqual([
      "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
      "210987654321.dkr.ecr.eu-west-1.amazonaws.com",
    ]);
  });

  it("reports the expiry the server chose, also when it is past", async () => {
    const past = new Date("2015-01-01T00:00:00Z");
    ecr.setExpiresAt(past);
    const [login] = await mint(secretSpec());
    expect(login?.expiresAt).toEqual(past);
  });

  it("reports an expiry one token lifetime after issue", async () => {
    ecr.setTokenLifetime(3600_000);
    const before = Date.now();
    const [login] = await mint(secretSpec());
    const expiresAt = login?.expiresAt?.getTime() ?? 0;
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3600_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000 + 1000);
  });

  it("signs with the session token when the Secret holds one", async () => {
    const session = {
      accessKeyId: "ASIATESTSESSION00001",
      secretAccessKey: "session/secret/key",
      sessionToken: "tok",
    };
    ecr.registerCredentials(session);
    access.putSecret("session-keys", {
      AWS_ACCESS_KEY_ID: session.accessKeyId,
      AWS_SECRET_ACCESS_KEY: session.secretAccessKey,
      AWS_SESSION_TOKEN: session.sessionToken,
    });
    const tokens = await mint(ecrSpec({ auth: { secretRef: { name: "session-keys" } } }));
    expect(tokens).toHaveLength(1);
    expect(ecr.accessKeyIds).toEqual([session.accessKeyId]);
  });

  it.each<[string, (server: FakeEcrServer, access: FakeSourceAccess) => void, EcrSource, string]>([
    [
      "a wrong secret access key",
      (_server, a) => {
        a.putSecret("aws-keys", {
          AWS_ACCESS_KEY_ID: staticKeys.accessKeyId,
          AWS_SECRET_ACCESS_KEY: "a/wrong/secret/access/key",
        });
      },
      secretSpec(),
      "ECR GetAuthorizationToken in eu-west-1 failed: InvalidSignatureException: The request signature we calculated does not match",
    ],
    [
      "an access key the server does not know",
      (_server, a) => {
        a.putSecret("aws-keys", {
          AWS_ACCESS_KEY_ID: "AKIAUNKNOWN000000001",
          AWS_SECRET_ACCESS_KEY: "whatever",
        });
      },
      secretSpec(),
      "ECR GetAuthorizationToken in eu-west-1 failed: UnrecognizedClientException: The security token included in the request is invalid.",
    ],
    [
      "a signature for another region",
      () => {},
      secretSpec({ region: "eu-central-1" }),
      "ECR GetAuthorizationToken in eu-central-1 failed: InvalidSignatureException: Credential should be scoped to a valid region",
    ],
    [
      "throttling",
      (server) => server.behave("throttle"),
      secretSpec(),
      "ECR GetAuthorizationToken in eu-west-1 failed: ThrottlingException: Rate exceeded",
    ],
    [
      "an unavailable service",
      (server) => server.behave("unavailable"),
      secretSpec(),
      "ECR GetAuthorizationToken in eu-west-1 failed: ServiceUnavailableException: service unavailable (injected)",
    ],
    [
      "an empty answer",
      (server) => server.behave("empty"),
      secretSpec(),
      "ECR returned no authorizationData (GetAuthorizationToken in eu-west-1)",
    ],
    [
      "a garbage token",
      (server) => server.behave("garbage-token"),
      secretSpec(),
      'ECR returned an authorizationToken that is not base64 of "<username>:<password>"',
    ],
  ])("reports %s as a retryable ProviderError", async (_name, arrange, spec, expected) => {
    arrange(ecr, access);
    const error = await credentialErrorOf(mint(spec));
    expect(error.reason).toBe("ProviderError");
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(expected);
    for (const secret of [staticKeys.secretAccessKey, ...ecr.issuedSecrets])
      expect(error.message).not.toContain(secret);
    expect(ecr.calls).toBeGreaterThan(0);
  });
});
