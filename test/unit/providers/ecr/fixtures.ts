// Builders for ECR provider unit tests.
import type { EcrSource } from "../../../../src/api/v1alpha1.js";
import { CredentialError } from "../../../../src/providers/errors.js";
import { FakeSourceAccess } from "../../../fakes/kube/fake-source-access.js";

const region = "eu-west-1";
export const staticKeys = {
  accessKeyId: "AKIATESTSTATIC000001",
  secretAccessKey: "static/secret+access/key/for/unit/tests/01",
  sessionToken: "static-session-token-for-unit-tests",
};

/** An ECR source in eu-west-1 with the given fields replaced. */
export function ecrSpec(overrides: Partial<EcrSource> = {}): EcrSource {
  return { region, ...overrides };
}

/**
 * Access in namespace tenant-a holding Secret "aws-keys" with default key names (and a second set of
 * keys under PROD_* names), and no ServiceAccounts.
 */
export function accessWithKeys(
  options: { ambientIdentityAllowed?: boolean; issueToken?: (name: string, audience: string) => string } = {},
): FakeSourceAccess {
  return new FakeSourceAccess(
    "tenant-a",
    options.ambientIdentityAllowed ?? true,
    options.issueToken,
  ).putSecret("aws-keys", {
    AWS_ACCESS_KEY_ID: staticKeys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: staticKeys.secretAccessKey,
    PROD_ACCESS_KEY_ID: "AKIATESTSTATICPROD01",
    PROD_SECRET_ACCESS_KEY: "prod/secret+access/key/for/unit/tests/0002",
    PROD_SESSION_TOKEN: "prod-session-token-for-unit-tests",
  });
}

/** The CredentialError a promise rejects with; fails when it resolves or rejects with anything else. */
export async function credentialErrorOf(promise: Promise<unknown>): Promise<CredentialError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CredentialError) return error;
    throw error;
  }
  throw new Error("expected a CredentialError, but the call succeeded");
}
