import { describe, expect, it } from "@jest/globals";
import type { V1Secret } from "@kubernetes/client-node";
import type { SourceStatus } from "../../../src/api/v1alpha1.js";
import { identityFingerprint, recoverSourceTokens } from "../../../src/controller/recover-tokens.js";
import type { RegistryToken } from "../../../src/providers/provider.js";
import { dockerConfigKey } from "../../../src/secrets/desired-secret.js";
import { buildDockerConfig } from "../../../src/secrets/dockerconfig.js";

const ecrHost = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const otherEcrHost = "210987654321.dkr.ecr.eu-west-1.amazonaws.com";
const garHost = "europe-west1-docker.pkg.dev";
const refreshedAt = "2030-01-01T00:00:00.000Z";
const expiresAt = "2030-01-01T12:00:00.000Z";

const logins: RegistryToken[] = [
  { host: ecrHost, username: "AWS", password: "fake-ecr-password-1" },
  { host: otherEcrHost, username: "AWS", password: "fake-ecr-password-2" },
  { host: garHost, username: "oauth2accesstoken", password: "fake-gar-token" },
];

function secretWithDocument(document: string | undefined): V1Secret {
  return {
    metadata: { name: "pull", namespace: "team-a" },
    type: "kubernetes.io/dockerconfigjson",
    ...(document === undefined
      ? {}
      : { data: { [dockerConfigKey]: Buffer.from(document).toString("base64") } }),
  };
}

const written = secretWithDocument(buildDockerConfig(logins));

function ecrStatus(overrides: Partial<SourceStatus> = {}): SourceStatus {
  return {
    index: 0,
    provider: "ecr",
    hosts: [ecrHost, otherEcrHost],
    refreshedAt,
    expiresAt,
    identity: identityFingerprint("ecr|eu-west-1|keys"),
    ...overrides,
  };
}

describe("recoverSourceTokens", () => {
  it("recovers the logins of exactly the source's hosts, with its mint time and expiry", () => {
    expect(recoverSourceTokens(written, ecrStatus())).toEqual({
      mintedAt: new Date(refreshedAt),
      tokens: [
        { host: ecrHost, username: "AWS", password: "fake-ecr-password-1", expiresAt: new Date(expiresAt) },
        {
          host: otherEcrHost,
          username: "AWS",
          password: "fake-ecr-password-2",
          expiresAt: new Date(expiresAt),
        },
      ],
    });
  });

  it("recovers a second source from the same Secret", () => {
    const recovered = recoverSourceTokens(
      written,
      ecrStatus({ index: 1, provider: "gar", hosts: [garHost] }),
    );
    expect(recovered?.tokens.map((t) => [t.host, t.username])).toEqual([[garHost, "oauth2accesstoken"]]);
  });

  it("leaves expiresAt out when the status has no expiry", () => {
    const recovered = recoverSourceTokens(written, ecrStatus({ expiresAt: undefined }));
    expect(recovered?.tokens).toHaveLength(2);
    for (const token of recovered?.tokens ?? []) expect(token).not.toHaveProperty("expiresAt");
  });

  it.each<[string, V1Secret | undefined, SourceStatus | undefined]>([
    ["there is no Secret", undefined, ecrStatus()],
    ["there is no status entry", written, undefined],
    ["the Secret has no data", secretWithDocument(undefined), ecrStatus()],
    ["the Secret lacks one of the source's hosts", written, ecrStatus({ hosts: [ecrHost, "gcr.io"] })],
    ["the status lists no hosts", written, ecrStatus({ hosts: [] })],
    ["the status has no refreshedAt", written, ecrStatus({ refreshedAt: undefined })],
    ["the Secret holds text that is not JSON", secretWithDocument("garbage{"), ecrStatus()],
    ["the Secret holds JSON without auths", secretWithDocument('{"other": {}}'), ecrStatus()],
    [
      "the host's entry lacks a password",
      secretWithDocument(JSON.stringify({ auths: { [ecrHost]: { username: "AWS" }, [otherEcrHost]: {} } })),
      ecrStatus(),
    ],
    [
      "the host's entry is not an object",
      secretWithDocument(JSON.stringify({ auths: { [ecrHost]: "x", [otherEcrHost]: 1 } })),
      ecrStatus(),
    ],
    ["the host is an inherited property name", written, ecrStatus({ hosts: ["constructor"] })],
  ])("returns undefined when %s", (_name, secret, status) => {
    expect(recoverSourceTokens(secret, status)).toBeUndefined();
  });
});

describe("identityFingerprint", () => {
  it.each([
    ["an ECR identity", "ecr|eu-west-1|secret:uid-1:rv-3"],
    ["a GAR identity", "gar|europe-west1-docker.pkg.dev|sa:puller"],
    ["the empty identity", ""],
  ])("is 16 lowercase hex digits and stable for %s", (_name, identity) => {
    const fingerprint = identityFingerprint(identity);
    expect(fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(identityFingerprint(identity)).toBe(fingerprint);
  });

  it("differs between identities, even ones differing only in a content version", () => {
    const identities = [
      "ecr|eu-west-1|secret:uid-1:rv-3",
      "ecr|eu-west-1|secret:uid-1:rv-4",
      "ecr|eu-west-2|secret:uid-1:rv-3",
      "gar|gcr.io|ambient",
    ];
    expect(new Set(identities.map(identityFingerprint)).size).toBe(identities.length);
  });

  it("does not contain the identity text", () => {
    const identity = "abcdef0123456789-abcdef";
    expect(identityFingerprint(identity)).not.toContain(identity.slice(0, 16));
  });
});
