import { describe, expect, it } from "@jest/globals";
import type { V1Secret } from "@kubernetes/client-node";
import type { CredentialSource, SourceStatus } from "../../../../src/api/v1alpha1.js";
import {
  identityFingerprint,
  type LoginBinding,
  loginDigest,
  recoverSourceTokens,
} from "../../../../src/controller/credential/recover-tokens.js";
import type { RegistryToken } from "../../../../src/providers/provider.js";
import { dockerConfigKey } from "../../../../src/secrets/desired-secret.js";
import { buildDockerConfig } from "../../../../src/secrets/dockerconfig.js";
import { OperatorKey } from "../../../../src/security/operator-key.js";

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

const key = OperatorKey.ephemeral();
const ecrSource: CredentialSource = {
  ecr: { region: "eu-west-1", registryIds: ["123456789012", "210987654321"] },
};
const garSource: CredentialSource = { gar: { registries: [garHost] } };
const binding = (source: CredentialSource = ecrSource): LoginBinding => ({ ownerUid: "owner-uid-1", source });

/** The status entry the operator wrote when it minted `tokens` for source 0 (ECR) or 1 (GAR). */
function statusFor(
  tokens: readonly RegistryToken[],
  overrides: Partial<SourceStatus> = {},
  source: CredentialSource = ecrSource,
): SourceStatus {
  const entry: SourceStatus = {
    index: 0,
    provider: "ecr",
    hosts: tokens.map((t) => t.host),
    refreshedAt,
    expiresAt,
    identity: identityFingerprint("ecr|eu-west-1|keys"),
    ...overrides,
  };
  return { ...entry, loginDigest: loginDigest(key, binding(source), entry, tokens) };
}

const ecrLogins = logins.slice(0, 2);
const ecrStatus = (overrides: Partial<SourceStatus> = {}) => statusFor(ecrLogins, overrides);
const recover = (secret: V1Secret | undefined, status: SourceStatus | undefined, source = ecrSource) =>
  recoverSourceTokens(secret, status, key, binding(source));

/** The written Secret with one host's entry replaced, as a tenant could edit it. */
function tampered(host: string, entry: unknown): V1Secret {
  const config = JSON.parse(buildDockerConfig(logins)) as { auths: Record<string, unknown> };
  config.auths[host] = entry;
  return secretWithDocument(JSON.stringify(config));
}

describe("recoverSourceTokens", () => {
  it("recovers the logins of exactly the source's hosts, with its mint time and expiry", () => {
    expect(recover(written, ecrStatus())).toEqual({
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
    const status = statusFor([logins[2] as RegistryToken], { index: 1, provider: "gar" }, garSource);
    const recovered = recover(written, status, garSource);
    expect(recovered?.tokens.map((t) => [t.host, t.username])).toEqual([[garHost, "oauth2accesstoken"]]);
  });

  it("leaves expiresAt out when the status has no expiry", () => {
    const recovered = recover(written, ecrStatus({ expiresAt: undefined }));
    expect(recovered?.tokens).toHaveLength(2);
    for (const token of recovered?.tokens ?? []) expect(token).not.toHaveProperty("expiresAt");
  });

  it.each<[string, V1Secret | undefined, SourceStatus | undefined]>([
    ["there is no Secret", undefined, ecrStatus()],
    ["there is no status entry", written, undefined],
    ["the Secret has no data", secretWithDocument(undefined), ecrStatus()],
    [
      "the Secret lacks one of the source's hosts",
      written,
      statusFor([...ecrLogins, { host: "gcr.io", username: "u", password: "p" }]),
    ],
    ["the status lists no hosts", written, ecrStatus({ hosts: [] })],
    ["the status has no refreshedAt", written, ecrStatus({ refreshedAt: undefined })],
    ["the status has no digest", written, { ...ecrStatus(), loginDigest: undefined }],
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
    [
      "the host is an inherited property name",
      written,
      statusFor([{ host: "constructor", username: "u", password: "p" }]),
    ],
    [
      "someone else chose the password",
      tampered(ecrHost, { username: "AWS", password: "TENANT-CHOSEN" }),
      ecrStatus(),
    ],
    [
      "someone else chose the user name",
      tampered(ecrHost, { username: "admin", password: "fake-ecr-password-1" }),
      ecrStatus(),
    ],
    [
      "the password is not a string",
      tampered(ecrHost, { username: "AWS", password: { nested: true } }),
      ecrStatus(),
    ],
    [
      "the user name is not a string",
      tampered(ecrHost, { username: 7, password: "fake-ecr-password-1" }),
      ecrStatus(),
    ],
    [
      "the status was written for another mint time",
      written,
      { ...ecrStatus(), refreshedAt: "2030-01-01T00:00:01.000Z" },
    ],
    [
      "the status was written for another identity",
      written,
      { ...ecrStatus(), identity: identityFingerprint("other") },
    ],
    [
      "the digest was made with another key",
      written,
      {
        ...ecrStatus(),
        loginDigest: loginDigest(OperatorKey.ephemeral(), binding(), ecrStatus(), ecrLogins),
      },
    ],
  ])("returns undefined when %s", (_name, secret, status) => {
    expect(recover(secret, status)).toBeUndefined();
  });

  it.each<[string, LoginBinding]>([
    ["another resource", { ownerUid: "owner-uid-2", source: ecrSource }],
    [
      "a source whose spec changed since",
      binding({ ecr: { region: "eu-west-1", registryIds: ["123456789012"] } }),
    ],
  ])("returns undefined for %s", (_name, other) => {
    expect(recoverSourceTokens(written, ecrStatus(), key, other)).toBeUndefined();
  });

  it("does not depend on the order of keys in the source's spec", () => {
    const reordered: CredentialSource = {
      ecr: { registryIds: ["123456789012", "210987654321"], region: "eu-west-1" },
    };
    expect(recover(written, ecrStatus(), reordered)).toBeDefined();
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
