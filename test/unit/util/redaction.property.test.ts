// Property tests of redactSecrets over random values: every token-shaped credential is removed, and
// everything an operator needs for debugging (hosts, ARNs, request IDs, error codes, reasons) stays.
import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { readyReasons } from "../../../src/api/v1alpha1.js";
import { redactSecrets } from "../../../src/util/redact.js";

const runs = { numRuns: 2_000 };

/**
 * Uniformly random bytes (as a CSPRNG makes them; no bias toward small values) of a length in
 * [min, max]. fast-check seeds each run afresh and prints the seed of any failure.
 */
const bytes = (min: number, max: number) =>
  fc.noBias(fc.uint8Array({ minLength: min, maxLength: max })).map((array) => Buffer.from(array));

/** `length` characters drawn uniformly from `alphabet`, as a key generator draws them. */
const charsOf = (alphabet: string, length: number) =>
  fc.noBias(fc.string({ unit: fc.constantFrom(...alphabet), minLength: length, maxLength: length }));

const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const base64Alphabet = `${upper}${upper.toLowerCase()}0123456789+/`;

/** Credential values of the shapes and sizes the providers handle. */
const secrets: Record<string, fc.Arbitrary<string>> = {
  "standard base64 (24 to 1,200 bytes: keys, ECR authorization tokens)": bytes(24, 1_200).map((b) =>
    b.toString("base64"),
  ),
  "base64url (24 to 128 bytes: keys, opaque tokens)": bytes(24, 128).map((b) => b.toString("base64url")),
  "a JWT (ServiceAccount tokens, assertions)": fc
    .tuple(bytes(20, 60), bytes(60, 400), bytes(64, 256))
    .map(([header, payload, signature]) =>
      [header, payload, signature].map((part) => part.toString("base64url")).join("."),
    ),
  "an AWS secret access key (40 characters)": charsOf(base64Alphabet, 40),
  "an AWS access key ID": fc
    .tuple(fc.constantFrom("AKIA", "ASIA"), charsOf(`${upper}234567`, 16))
    .map(([prefix, rest]) => prefix + rest),
  "an AWS session token (600 to 1,200 bytes)": bytes(600, 1_200).map((b) => b.toString("base64")),
  "a Google access token": bytes(90, 180).map((b) => `ya29.${b.toString("base64url")}`),
  "a hex key (32 to 64 characters)": bytes(16, 32).map((b) => b.toString("hex")),
};

/** How remote text quotes a value. */
const quoted = fc
  .tuple(
    fc.constantFrom(
      "",
      "token ",
      "Bearer ",
      '{"token":"',
      "password=",
      "auth: ",
      "?access_token=",
      "(",
      "'",
      "\n",
    ),
    fc.constantFrom("", ".", '"}', " (request 42)", ")", ",", "'", "\n", "&x=1"),
  )
  .map(([before, after]) => ({ before, after }));

/** Every 16-character window of `secret` that still appears in `text`. */
function survivingPieces(text: string, secret: string): string[] {
  const pieces: string[] = [];
  for (let i = 0; i + 16 <= secret.length; i++) {
    const piece = secret.slice(i, i + 16);
    if (text.includes(piece)) pieces.push(piece);
  }
  return pieces;
}

describe("redactSecrets removes every random credential value", () => {
  it.each(Object.entries(secrets))("%s, however it is quoted", (_shape, secret) => {
    fc.assert(
      fc.property(secret, quoted, (value, { before, after }) => {
        const message = `STS said: InvalidClientTokenId: ${before}${value}${after} is not valid`;
        const redacted = redactSecrets(message);
        expect(survivingPieces(redacted, value)).toEqual([]);
        expect(redacted).toContain("[REDACTED]");
        expect(redacted).toContain("InvalidClientTokenId");
      }),
      runs,
    );
  });

  it("removes several values in one message and keeps the words between them", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(...Object.values(secrets)), { minLength: 2, maxLength: 4 }), (values) => {
        const redacted = redactSecrets(values.map((v, i) => `value ${i}: ${v};`).join(" "));
        for (const value of values) expect(survivingPieces(redacted, value)).toEqual([]);
        for (let i = 0; i < values.length; i++) expect(redacted).toContain(`value ${i}: `);
      }),
      { numRuns: 300 },
    );
  });
});

const word = fc.stringMatching(/^[a-z]{2,10}$/);
const digits = (n: number) => charsOf("0123456789", n);
const region = fc.oneof(
  fc.constantFrom("eu-west-1", "us-east-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1", "me-central-1"),
  fc.tuple(fc.stringMatching(/^[a-z]{2}$/), word, fc.integer({ min: 1, max: 9 })).map((p) => p.join("-")),
);

/** What someone debugging a refresh failure needs to read, as providers and the apiserver write it. */
const debuggable: Record<string, fc.Arbitrary<string>> = {
  "an ECR host": fc
    .tuple(
      digits(12),
      fc.constantFrom("dkr.ecr", "dkr.ecr-fips", "dkr-ecr"),
      region,
      fc.constantFrom(".amazonaws.com", ".amazonaws.com.cn", ".on.aws"),
    )
    .map(([account, service, r, suffix]) => `${account}.${service}.${r}${suffix}`),
  "an Artifact Registry or Container Registry host": fc.oneof(
    fc
      .constantFrom(
        ...["us", "europe", "asia"],
        ...[1, 2, 3, 4, 5, 6, 8, 9, 10, 12].map((n) => `europe-west${n}`),
        ...[
          "europe-north1",
          "europe-central2",
          "europe-southwest1",
          "northamerica-northeast1",
          "northamerica-northeast2",
        ],
        ...[
          "southamerica-east1",
          "southamerica-west1",
          "us-central1",
          "us-east1",
          "us-east4",
          "us-east5",
          "us-south1",
        ],
        ...[
          "us-west1",
          "us-west2",
          "us-west3",
          "us-west4",
          "asia-east1",
          "asia-east2",
          "asia-northeast1",
          "asia-northeast2",
        ],
        ...[
          "asia-northeast3",
          "asia-south1",
          "asia-south2",
          "asia-southeast1",
          "asia-southeast2",
          "australia-southeast1",
        ],
        ...["australia-southeast2", "me-central1", "me-central2", "me-west1", "africa-south1"],
      )
      .map((location) => `${location}-docker.pkg.dev`),
    fc.constantFrom("gcr.io", "eu.gcr.io", "us.gcr.io", "asia.gcr.io", "public.ecr.aws"),
  ),
  "a DNS name": fc
    .tuple(
      fc.array(fc.tuple(word, fc.option(fc.integer({ min: 0, max: 99 }))), { minLength: 2, maxLength: 5 }),
      fc.constantFrom("com", "io", "dev", "internal"),
    )
    .map(([labels, tld]) => [...labels.map(([w, n]) => (n === null ? w : `${w}-${n}`)), tld].join(".")),
  "an IAM role ARN with any role name": fc
    .tuple(
      fc.constantFrom("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"),
      digits(12),
      fc.array(word, { maxLength: 3 }),
      fc.string({
        unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+=,.@_-"),
        minLength: 1,
        maxLength: 64,
      }),
    )
    .map(
      ([partition, account, path, name]) =>
        `arn:${partition}:iam::${account}:role/${[...path, name].join("/")}`,
    ),
  "an assumed-role ARN": fc
    .tuple(
      digits(12),
      word,
      fc.string({
        unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-_"),
        minLength: 2,
        maxLength: 64,
      }),
    )
    .map(([account, role, session]) => `arn:aws:sts::${account}:assumed-role/${role}/${session}`),
  "a request ID": fc.uuid(),
  "a Kubernetes object with a generated name": fc
    .tuple(
      fc.array(word, { minLength: 1, maxLength: 3 }),
      fc.array(charsOf("0123456789abcdefghijklmnopqrstuvwxyz", 5), { maxLength: 1 }),
      fc.integer({ min: 5, max: 10 }).chain((n) => charsOf("0123456789abcdef", n)),
    )
    .map(
      ([words, pod, hash]) =>
        `Secret ${words.join("-")}-${hash}${pod.map((p) => `-${p}`).join("")}/pull-secret`,
    ),
  "an AWS error code": fc.oneof(
    fc.constantFrom(
      "AccessDeniedException",
      "ExpiredTokenException",
      "UnrecognizedClientException",
      "InvalidClientTokenId",
      "InvalidSignatureException",
      "IDPCommunicationError",
      "InvalidIdentityToken",
      "RegionDisabledException",
      "ThrottlingException",
      "ServiceUnavailableException",
      "RepositoryNotFoundException",
    ),
    fc
      .array(
        fc.constantFrom(
          "Access",
          "Denied",
          "Invalid",
          "Token",
          "Client",
          "Expired",
          "Request",
          "Limit",
          "Exceeded",
          "Service",
          "Identity",
          "Authorization",
          "Registry",
          "Not",
          "Found",
          "Signature",
        ),
        { minLength: 2, maxLength: 5 },
      )
      .map((parts) => `${parts.join("")}Exception`),
  ),
  "a Google or Node error code": fc.constantFrom(
    "PERMISSION_DENIED",
    "UNAUTHENTICATED",
    "FAILED_PRECONDITION",
    "invalid_grant",
    "unauthorized_client",
    "ECONNREFUSED",
    "UND_ERR_CONNECT_TIMEOUT",
    "ERR_TLS_CERT_ALTNAME_INVALID",
    "iam.serviceAccounts.getAccessToken",
  ),
  "a condition reason": fc.constantFrom(...Object.values(readyReasons)),
  "a service account e-mail": fc
    .tuple(word, word, fc.integer({ min: 0, max: 999 }))
    .map(([account, project, n]) => `${account}@${project}-${n}.iam.gserviceaccount.com`),
  "a workload identity audience": fc
    .tuple(digits(12), word, word)
    .map(
      ([project, pool, provider]) =>
        `//iam.googleapis.com/projects/${project}/locations/global/workloadIdentityPools/${pool}/providers/${provider}`,
    ),
  "an endpoint URL": fc
    .tuple(
      fc.constantFrom("sts", "iamcredentials", "oauth2", "api.ecr"),
      fc.constantFrom("googleapis.com", "eu-west-1.amazonaws.com"),
      fc.array(word, { maxLength: 4 }),
    )
    .map(([host, domain, path]) => `https://${host}.${domain}/${path.join("/")}`),
};

describe("redactSecrets keeps what an operator needs to debug", () => {
  it.each(Object.entries(debuggable))("%s", (_shape, value) => {
    fc.assert(
      fc.property(value, (text) => {
        const message = `refresh failed for ${text}: ${text} (HTTP 403)`;
        expect(redactSecrets(message)).toBe(message);
      }),
      runs,
    );
  });

  it("keeps them next to a redacted value", () => {
    fc.assert(
      fc.property(
        fc.oneof(...Object.values(debuggable)),
        secrets[
          "standard base64 (24 to 1,200 bytes: keys, ECR authorization tokens)"
        ] as fc.Arbitrary<string>,
        (text, value) => {
          expect(redactSecrets(`${text} rejected ${value} at ${text}`)).toBe(
            `${text} rejected [REDACTED] at ${text}`,
          );
        },
      ),
      runs,
    );
  });
});
