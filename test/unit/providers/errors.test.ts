import { createHash } from "node:crypto";
import { describe, expect, it } from "@jest/globals";
import {
  asCredentialError,
  CredentialError,
  type CredentialErrorReason,
} from "../../../src/providers/errors.js";
import { redactSecrets } from "../../../src/util/redact.js";

/** Deterministic fake key material: `bytes` bytes, base64 or base64url encoded. */
function fakeOpaque(seed: string, bytes: number, encoding: "base64" | "base64url" = "base64"): string {
  let buffer = Buffer.alloc(0);
  for (let i = 0; buffer.length < bytes; i++) {
    buffer = Buffer.concat([buffer, createHash("sha256").update(`${seed}:${i}`).digest()]);
  }
  return buffer.subarray(0, bytes).toString(encoding);
}

const fakeJwt = [
  Buffer.from('{"alg":"RS256","typ":"JWT","kid":"fake-key-id"}').toString("base64url"),
  Buffer.from(
    '{"iss":"https://kubernetes.default.svc","sub":"system:serviceaccount:team-a:puller","aud":["sts.amazonaws.com"]}',
  ).toString("base64url"),
  fakeOpaque("signature", 256, "base64url"),
].join(".");
const fakeEcrToken = fakeOpaque("ecr-authorization-token", 1_200);

// Random values for every token shape: redaction.property.test.ts.
describe("redactSecrets on examples from real error messages", () => {
  it.each([
    ["a role ARN", "User is not authorized to assume arn:aws:iam::123456789012:role/ecr-puller"],
    ["a role ARN with a path", "AccessDenied for arn:aws:iam::123456789012:role/team-a/ecr-puller"],
    ["a GovCloud ARN", "arn:aws-us-gov:iam::123456789012:role/puller is not trusted"],
    ["an ECR host", "login to 123456789012.dkr.ecr.eu-west-1.amazonaws.com failed"],
    ["an Artifact Registry host", "europe-west1-docker.pkg.dev returned 403 Forbidden"],
    ["a service account email", "cannot impersonate puller@my-project-123.iam.gserviceaccount.com"],
    [
      "an ordinary sentence",
      "The security token included in the request is invalid. Check the Secret team-a/aws-keys and retry.",
    ],
    ["a 12-digit account id list", "registries 123456789012, 210987654321 and 111122223333"],
    ["a UUID", "request 5f1c2d3e-0000-4000-8000-000000000001 failed"],
  ])("keeps %s", (_name, message) => {
    expect(redactSecrets(message)).toBe(message);
  });
});

describe("CredentialError", () => {
  it.each<[CredentialErrorReason, boolean]>([
    ["ProviderError", true],
    ["InvalidSpec", false],
    ["AuthSecretMissing", false],
    ["Forbidden", false],
  ])("is retryable by default for %s: %p", (reason, retryable) => {
    const error = new CredentialError(reason, "something went wrong");
    expect(error).toMatchObject({
      name: "CredentialError",
      reason,
      retryable,
      message: "something went wrong",
    });
    expect(error).toBeInstanceOf(Error);
  });

  it.each<[CredentialErrorReason, boolean]>([
    ["ProviderError", false],
    ["AuthSecretMissing", true],
  ])("lets the caller override retryable for %s to %p", (reason, retryable) => {
    expect(new CredentialError(reason, "x", retryable).retryable).toBe(retryable);
  });

  it("redacts its message", () => {
    const error = new CredentialError("ProviderError", `ECR answered with ${fakeEcrToken}`);
    expect(error.message).toBe("ECR answered with [REDACTED]");
  });
});

describe("asCredentialError", () => {
  it("returns a CredentialError unchanged", () => {
    const original = new CredentialError("InvalidSpec", "bad region", false);
    expect(asCredentialError(original, "ecr eu-west-1")).toBe(original);
  });

  it.each<[string, unknown, string]>([
    ["an Error", new TypeError("fetch failed"), "ecr eu-west-1: TypeError: fetch failed"],
    ["a string", "socket hang up", "ecr eu-west-1: socket hang up"],
    ["undefined", undefined, "ecr eu-west-1: undefined"],
    [
      "an Error quoting a token",
      new Error(`bad token ${fakeJwt}`),
      "ecr eu-west-1: Error: bad token [REDACTED]",
    ],
  ])("wraps %s as a retryable ProviderError with context", (_name, thrown, message) => {
    const error = asCredentialError(thrown, "ecr eu-west-1");
    expect(error).toBeInstanceOf(CredentialError);
    expect(error).toMatchObject({ reason: "ProviderError", retryable: true, message });
  });
});
