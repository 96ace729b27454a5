/**
 * What a registry said about a credential: `Authenticated` (it accepted the credential, and a
 * canary manifest when one was named), `Unauthorized` (it refused the credential), `Forbidden` (it
 * knows the identity but refuses it: on /v2/, at its token service, or on the canary's repository),
 * `NotFound` (no canary manifest of that name), `Unreachable` (no usable answer: network, TLS,
 * deadline, size, an unexpected status), `Skipped` (not asked: a policy or the input forbade it).
 */
export type VerificationReason =
  | "Authenticated"
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "Unreachable"
  | "Skipped";
