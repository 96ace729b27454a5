import { type VerificationReason, type VerificationStatus, verifiedReasons } from "../api/v1alpha1.js";
import type { ConditionUpdate } from "../controller/credential/conditions.js";
import type { LoginCheck } from "./login-verifier.js";

export const verifiedConditionType = "Verified";

/** The checks of one source this sync: made or memoised now, or none (its status entries then stand). */
export interface SourceChecks {
  index: number;
  checks?: readonly LoginCheck[];
}

/** Most telling first: a refusal outranks a missing canary, which outranks not being able to ask. */
const severity: readonly VerificationReason[] = [
  verifiedReasons.unauthorized,
  verifiedReasons.forbidden,
  verifiedReasons.notFound,
  verifiedReasons.unreachable,
  verifiedReasons.skipped,
  verifiedReasons.authenticated,
];

const statusOf: Record<VerificationReason, ConditionUpdate["status"]> = {
  Authenticated: "True",
  Unauthorized: "False",
  Forbidden: "False",
  NotFound: "False",
  Unreachable: "Unknown",
  Skipped: "Unknown",
};

/**
 * status.verification after this sync: the entries of each source's checks, and for a source
 * without checks now (it failed, or its logins were recovered after a restart) its entries from
 * `previous`. Sorted by source index and host. Pure.
 */
export function verificationEntries(
  sources: readonly SourceChecks[],
  previous: readonly VerificationStatus[] | undefined,
): VerificationStatus[] {
  return sources
    .flatMap((source): VerificationStatus[] =>
      source.checks
        ? source.checks.map((c) => ({
            index: source.index,
            host: c.host,
            ...(c.image ? { image: c.image } : {}),
            reason: c.reason,
            message: c.message,
            verifiedAt: c.at.toISOString(),
          }))
        : (previous ?? []).filter((entry) => entry.index === source.index),
    )
    .sort((a, b) => a.index - b.index || a.host.localeCompare(b.host));
}

/**
 * The Verified condition summing up `entries`: True (Authenticated) when every registry asked
 * accepted its login; False with the most telling reason when one refused it (Unauthorized,
 * Forbidden) or lacks the canary (NotFound); Unknown when one could not be asked (Unreachable) or
 * none was (Skipped). Undefined when there are no entries (nothing to say yet). Pure.
 */
export function verifiedCondition(entries: readonly VerificationStatus[]): ConditionUpdate | undefined {
  if (entries.length === 0) return undefined;
  const asked = entries.filter((e) => e.reason !== verifiedReasons.skipped);
  const reasons = new Set(entries.map((e) => e.reason as VerificationReason));
  const worst = severity.find((r) => reasons.has(r)) ?? verifiedReasons.skipped;
  const reason =
    worst === verifiedReasons.skipped && asked.length > 0 ? verifiedReasons.authenticated : worst;
  const where = (e: VerificationStatus) =>
    `spec.sources[${e.index}] ${e.host}${e.image ? ` (canary ${e.image})` : ""}`;
  const message =
    reason === verifiedReasons.authenticated
      ? `${asked.length} registry login(s) accepted: ${asked.map(where).join(", ")}${
          asked.length < entries.length
            ? `; not asked: ${entries
                .filter((e) => e.reason === verifiedReasons.skipped)
                .map((e) => `${where(e)}: ${e.message}`)
                .join("; ")}`
            : ""
        }`
      : entries
          .filter((e) => e.reason === reason)
          .map((e) => `${where(e)}: ${e.message}`)
          .join("; ");
  return { type: verifiedConditionType, status: statusOf[reason], reason, message };
}
