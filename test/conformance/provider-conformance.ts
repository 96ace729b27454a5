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
  /** A spec that uses the operator's ambient identity (no auth block); needed unless modes.ambient is false. */
  ambientSpec?: Spec;
  /** A spec whose referenced Secret holds unusable content (present in access). */
  garbledSecretSpec: Spec;
  /** A spec referencing a Secret that does not exist. */
  missingSecretSpec: Spec;
  /** Specs that pass the CRD schema but that validate() must reject, by sentence name. */
  invalidSpecs: [string, Spec][];
  /** Makes every later cloud call fail as an outage would; needed unless modes.cloud is false. */
  breakCloud?(): void;
  /** Makes the cloud answer successfully but with nothing usable (e.g. an empty token list); as breakCloud. */
  makeCloudAnswerNonsense?(): void;
  /**
   * Gives the Secret of `secretName` new credentials (a provider without a cloud, whose logins are
   * the Secret's own); needed when modes.cloud is false.
   */
  rotateSecret?(): void;
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

/**
 * What a provider has, which decides the tests it gets: `ambient` (default true), a mode using the
 * operator's own identity; `cloud` (default true), a service it calls to mint. Static credentials
 * have neither: they are tested for needing no ambient identity and for writing what their Secret holds.
 */
export interface ProviderModes {
  ambient?: boolean;
  cloud?: boolean;
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the conformance harness lacks ${what}`);
  return value;
}

export function describeProviderConformance<Spec>(
  name: string,
  makeHarness: () => Promise<ConformanceHarness<Spec>>,
  modes: ProviderModes = {},
) {
  const ambient = modes.ambient ?? true;
  const cloud = modes.cloud ?? true;
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
      "plans what it mints: the planned username and host count, every minted host planned exactly or claimed by its host patterns",
      withHarness(async (h) => {
        const tokens = await (await h.provider.resolve(h.validSpec, h.access)).mint();
        const planned = h.provider.plannedLogins(h.validSpec);
        expect(planned.hosts).toHaveLength(tokens.length);
        for (const token of tokens) {
          // A placeholder username ("<…>") stands for one only the referenced Secret tells.
          if (!planned.username.includes("<")) expect(token.username).toBe(planned.username);
          // A provider without host patterns serves any registry, so it must plan every host exactly.
          if (h.provider.hostPatterns.length === 0) expect(planned.hosts).toContain(token.host);
          else expect(h.provider.hostPatterns.some((pattern) => pattern.test(token.host))).toBe(true);
        }
        // A host the plan knows exactly is one the mint writes.
        for (const host of planned.hosts.filter((host) => !host.includes("<")))
          expect(tokens.map((t) => t.host)).toContain(host);
      }),
    );

    it(
      "describes a spec in a short phrase that starts with its name and holds no key material",
      withHarness(async (h) => {
        for (const spec of [h.validSpec, ...(h.ambientSpec === undefined ? [] : [h.ambientSpec])]) {
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
        if (h.ambientSpec !== undefined) expect(h.provider.referenceNamespace(h.ambientSpec)).toBeUndefined();
      }),
    );

    it(
      "names in referencedSecrets every Secret its resolve and mint read, and the valid spec's Secret",
      withHarness(async (h) => {
        expect(h.provider.referencedSecrets(h.validSpec)).toContain(h.secretName);
        const read = h.access.readSecret.bind(h.access);
        const specs = [h.validSpec, h.ambientSpec, h.garbledSecretSpec, h.missingSecretSpec].filter(
          (spec): spec is Spec => spec !== undefined,
        );
        for (const spec of specs) {
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

    if (cloud) {
      it(
        "reports an outage as a retryable ProviderError without secrets in the message",
        withHarness(async (h) => {
          const resolved = await h.provider.resolve(h.validSpec, h.access);
          required(h.breakCloud, "breakCloud")();
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
          required(h.makeCloudAnswerNonsense, "makeCloudAnswerNonsense")();
          const error = await caught(resolved.mint());
          expect(error.reason).toBe("ProviderError");
        }),
      );
    } else {
      it(
        "writes what its Secret holds: new credentials in the Secret give a new identity and new logins",
        withHarness(async (h) => {
          const before = await h.provider.resolve(h.validSpec, h.access);
          const first = await before.mint();
          required(h.rotateSecret, "rotateSecret")();
          const after = await h.provider.resolve(h.validSpec, h.access);
          const second = await after.mint();
          expect(after.identity).not.toBe(before.identity);
          expect(second.map((t) => t.host)).toEqual(first.map((t) => t.host));
          for (const [index, token] of second.entries())
            expect(token.password).not.toBe(first[index]?.password);
          expect(before.nonExpiring && after.nonExpiring).toBe(true);
          for (const token of [...first, ...second]) expect(token.expiresAt).toBeUndefined();
        }),
      );
    }

    if (ambient) {
      it(
        "refuses ambient identity where the policy forbids it",
        withHarness(async (h) => {
          Object.defineProperty(h.access, "ambientIdentityAllowed", { value: false });
          const error = await caught(h.provider.resolve(required(h.ambientSpec, "ambientSpec"), h.access));
          expect(error.reason).toBe("Forbidden");
        }),
      );
    } else {
      it(
        "needs no ambient identity: mints the valid spec where the policy forbids ambient identity",
        withHarness(async (h) => {
          Object.defineProperty(h.access, "ambientIdentityAllowed", { value: false });
          Object.defineProperty(h.access, "ambientAccessTokenAllowed", { value: false });
          const tokens = await (await h.provider.resolve(h.validSpec, h.access)).mint();
          expect(tokens.length).toBeGreaterThan(0);
        }),
      );
    }
  });
}
