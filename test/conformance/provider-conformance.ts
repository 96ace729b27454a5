// One behavioural contract, run against every provider (see the *.conformance.test.ts files).
import { describe, expect, it } from "@jest/globals";
import { CredentialError } from "../../src/providers/errors.js";
import type { Provider } from "../../src/providers/provider.js";
import type { FakeSourceAccess } from "../fakes/kube/fake-source-access.js";

/** What a provider's test brings to the conformance suite. Built fresh for every test. */
export interface ConformanceHarness<Spec> {
  provider: Provider<Spec>;
  /** Access holding every object the specs below reference. */
  access: FakeSourceAccess;
  /** A spec that mints successfully, authenticating through a referenced Secret named `secretName`. */
  validSpec: Spec;
  secretName: string;
  /** A spec that uses the operator's ambient identity (no auth block). */
  ambientSpec: Spec;
  /** A spec whose referenced Secret holds unusable content (present in access). */
  garbledSecretSpec: Spec;
  /** A spec referencing a Secret that does not exist. */
  missingSecretSpec: Spec;
  /** Specs that pass the CRD schema but that validate() must reject, by sentence name. */
  invalidSpecs: [string, Spec][];
  /** Makes every later cloud call fail as an outage would. */
  breakCloud(): void;
  /** Makes the cloud answer successfully but with nothing usable (e.g. an empty token list). */
  makeCloudAnswerNonsense(): void;
  /** Values that must never appear in identities or error messages (keys, tokens). */
  secretValues(): string[];
  /** Releases servers or clients the harness started. */
  close?(): Promise<void>;
}

async function caught(promise: Promise<unknown>): Promise<CredentialError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CredentialError);
    return error as CredentialError;
  }
  throw new Error("expected a CredentialError, but the call succeeded");
}

function expectNoSecrets(text: string, secrets: string[]): void {
  for (const secret of secrets) expect(text).not.toContain(secret);
}

export function describeProviderConformance<Spec>(
  name: string,
  makeHarness: () => Promise<ConformanceHarness<Spec>>,
) {
  describe(`${name} provider conformance`, () => {
    const withHarness = (test: (h: ConformanceHarness<Spec>) => Promise<void>) => async () => {
      const harness = await makeHarness();
      try {
        await test(harness);
      } finally {
        await harness.close?.();
      }
    };

    it(
      "accepts the valid spec",
      withHarness(async (h) => {
        expect(h.provider.validate(h.validSpec)).toEqual([]);
      }),
    );

    it(
      "rejects every invalid spec with a message",
      withHarness(async (h) => {
        expect(h.invalidSpecs.length).toBeGreaterThan(0);
        for (const [, spec] of h.invalidSpecs) {
          const problems = h.provider.validate(spec);
          expect(problems.length).toBeGreaterThan(0);
          for (const problem of problems) expect(problem.length).toBeGreaterThan(10);
        }
      }),
    );

    it(
      "mints tokens with a bare host, a username and a password",
      withHarness(async (h) => {
        const tokens = await (await h.provider.resolve(h.validSpec, h.access)).mint();
        expect(tokens.length).toBeGreaterThan(0);
        for (const token of tokens) {
          expect(token.host).toMatch(/^[a-z0-9.-]+(:\d+)?$/);
          expect(token.username.length).toBeGreaterThan(0);
          expect(token.password.length).toBeGreaterThan(0);
          if (token.expiresAt !== undefined) expect(Number.isNaN(token.expiresAt.getTime())).toBe(false);
        }
      }),
    );

    it(
      "plans what it mints: the planned username and host count, every minted host claimed by its host patterns",
      withHarness(async (h) => {
        const tokens = await (await h.provider.resolve(h.validSpec, h.access)).mint();
        const planned = h.provider.plannedLogins(h.validSpec);
        expect(planned.hosts).toHaveLength(tokens.length);
        for (const token of tokens) {
          expect(token.username).toBe(planned.username);
          expect(h.provider.hostPatterns.some((pattern) => pattern.test(token.host))).toBe(true);
        }
        // A host the plan knows exactly is one the mint writes.
        for (const host of planned.hosts.filter((host) => !host.includes("<")))
          expect(tokens.map((t) => t.host)).toContain(host);
      }),
    );

    it(
      "describes a spec in a short phrase that starts with its name and holds no key material",
      withHarness(async (h) => {
        for (const spec of [h.validSpec, h.ambientSpec]) {
          const description = h.provider.describe(spec);
          expect(description.startsWith(`${name} `)).toBe(true);
          expectNoSecrets(description, h.secretValues());
        }
      }),
    );

    it(
      "names no reference namespace for a spec whose references name none",
      withHarness(async (h) => {
        expect(h.provider.referenceNamespace(h.validSpec)).toBeUndefined();
        expect(h.provider.referenceNamespace(h.ambientSpec)).toBeUndefined();
      }),
    );

    it(
      "names in referencedSecrets every Secret its resolve and mint read, and the valid spec's Secret",
      withHarness(async (h) => {
        expect(h.provider.referencedSecrets(h.validSpec)).toContain(h.secretName);
        const read = h.access.readSecret.bind(h.access);
        for (const spec of [h.validSpec, h.ambientSpec, h.garbledSecretSpec, h.missingSecretSpec]) {
          const names: string[] = [];
          h.access.readSecret = (secretName) => {
            names.push(secretName);
            return read(secretName);
          };
          await h.provider
            .resolve(spec, h.access)
            .then((resolved) => resolved.mint())
            .catch(() => undefined);
          for (const secretName of names) expect(h.provider.referencedSecrets(spec)).toContain(secretName);
        }
      }),
    );

    it(
      "gives the same identity for the same inputs and a new one when the referenced Secret changes",
      withHarness(async (h) => {
        const first = (await h.provider.resolve(h.validSpec, h.access)).identity;
        const again = (await h.provider.resolve(h.validSpec, h.access)).identity;
        expect(again).toBe(first);
        const secret = h.access.secrets.get(h.secretName);
        expect(secret).toBeDefined();
        h.access.secrets.set(h.secretName, {
          ...(secret as NonNullable<typeof secret>),
          resourceVersion: "999999",
        });
        const changed = (await h.provider.resolve(h.validSpec, h.access)).identity;
        expect(changed).not.toBe(first);
        expectNoSecrets(first, h.secretValues());
      }),
    );

    it(
      "reports a missing Secret as AuthSecretMissing",
      withHarness(async (h) => {
        const error = await caught(h.provider.resolve(h.missingSecretSpec, h.access));
        expect(error.reason).toBe("AuthSecretMissing");
        expect(error.retryable).toBe(false);
      }),
    );

    it(
      "reports a garbled Secret as InvalidSpec without quoting its content",
      withHarness(async (h) => {
        const error = await caught(
          h.provider.resolve(h.garbledSecretSpec, h.access).then((resolved) => resolved.mint()),
        );
        expect(error.reason).toBe("InvalidSpec");
        expectNoSecrets(error.message, h.secretValues());
      }),
    );

    it(
      "reports an outage as a retryable ProviderError without secrets in the message",
      withHarness(async (h) => {
        const resolved = await h.provider.resolve(h.validSpec, h.access);
        h.breakCloud();
        const error = await caught(resolved.mint());
        expect(error.reason).toBe("ProviderError");
        expect(error.retryable).toBe(true);
        expectNoSecrets(error.message, h.secretValues());
      }),
    );

    it(
      "reports a nonsense answer as a ProviderError instead of returning unusable tokens",
      withHarness(async (h) => {
        const resolved = await h.provider.resolve(h.validSpec, h.access);
        h.makeCloudAnswerNonsense();
        const error = await caught(resolved.mint());
        expect(error.reason).toBe("ProviderError");
      }),
    );

    it(
      "refuses ambient identity where the policy forbids it",
      withHarness(async (h) => {
        Object.defineProperty(h.access, "ambientIdentityAllowed", { value: false });
        const error = await caught(h.provider.resolve(h.ambientSpec, h.access));
        expect(error.reason).toBe("Forbidden");
      }),
    );
  });
}
