import type {
  ClusterRegistryCredential,
  PullFailureStatus,
  RegistryCredential,
  RegistryCredentialStatus,
  VerificationStatus,
} from "../api/v1alpha1.js";
import { formatTable } from "./table.js";
import { relativeTime } from "./time.js";

/** One credential's state as `regcred status` shows it. Holds no token values. */
export interface StatusRow {
  kind: "RegistryCredential" | "ClusterRegistryCredential";
  namespace?: string;
  name: string;
  ready: string;
  reason: string;
  message: string;
  hosts: string[];
  secretName?: string;
  expiresAt?: string;
  expiresIn?: string;
  nextRefreshTime?: string;
  nextRefreshIn?: string;
  /** RC: its own namespace; CRC: counts from status. */
  namespaces: { inSync: number; targeted: number; failed: number } | { namespace: string };
  /** The Verified condition's status and reason; absent when verification is off or has not run. */
  verified?: { status: string; reason: string; message: string };
  /** status.verification: the last check of each source's hosts. */
  verification: VerificationStatus[];
  /** status.pullFailures: pods failing to pull from the credential's hosts, the latest first. */
  pullFailures: PullFailureStatus[];
}

function common(status: RegistryCredentialStatus | undefined, generation: number | undefined, now: Date) {
  const ready = status?.conditions?.find((c) => c.type === "Ready");
  const stale = (status?.observedGeneration ?? 0) < (generation ?? 0);
  const hosts = [...new Set((status?.sources ?? []).flatMap((source) => source.hosts))].sort();
  const verified = status?.conditions?.find((c) => c.type === "Verified");
  return {
    ...(verified
      ? { verified: { status: verified.status, reason: verified.reason, message: verified.message } }
      : {}),
    verification: status?.verification ?? [],
    pullFailures: status?.pullFailures ?? [],
    ready: ready ? ready.status : "Unknown",
    reason: ready ? ready.reason : stale || !status ? "Pending" : "",
    message: ready?.message ?? "",
    hosts,
    ...(status?.secretName ? { secretName: status.secretName } : {}),
    ...(status?.expiresAt
      ? { expiresAt: status.expiresAt, expiresIn: relativeTime(status.expiresAt, now) }
      : {}),
    ...(status?.nextRefreshTime
      ? { nextRefreshTime: status.nextRefreshTime, nextRefreshIn: relativeTime(status.nextRefreshTime, now) }
      : {}),
  };
}

export function registryCredentialRow(rc: RegistryCredential, now: Date): StatusRow {
  const namespace = rc.metadata.namespace ?? "";
  return {
    kind: "RegistryCredential",
    namespace,
    name: rc.metadata.name ?? "",
    ...common(rc.status, rc.metadata.generation, now),
    namespaces: { namespace },
  };
}

export function clusterRegistryCredentialRow(crc: ClusterRegistryCredential, now: Date): StatusRow {
  return {
    kind: "ClusterRegistryCredential",
    name: crc.metadata.name ?? "",
    ...common(crc.status, crc.metadata.generation, now),
    namespaces: {
      inSync: crc.status?.namespaces?.inSync ?? 0,
      targeted: crc.status?.namespaces?.targeted ?? 0,
      failed: crc.status?.namespaces?.failed ?? 0,
    },
  };
}

function nameOf(row: StatusRow): string {
  return row.namespace ? `${row.namespace}/${row.name}` : row.name;
}

function namespacesCell(row: StatusRow): string {
  if ("namespace" in row.namespaces) return row.namespaces.namespace;
  const { inSync, targeted, failed } = row.namespaces;
  return `${inSync}/${targeted}${failed ? ` (${failed} failed)` : ""}`;
}

export function formatStatusTable(rows: StatusRow[]): string {
  if (rows.length === 0) return "No RegistryCredentials or ClusterRegistryCredentials found.";
  return formatTable(
    ["kind", "name", "ready", "reason", "verified", "hosts", "expires", "next refresh", "namespaces"],
    rows.map((row) => [
      row.kind === "RegistryCredential" ? "RegistryCredential" : "ClusterRegistryCredential",
      nameOf(row),
      row.ready,
      row.reason || "-",
      row.verified ? `${row.verified.status} (${row.verified.reason})` : "-",
      row.hosts.join(",") || "-",
      row.expiresAt ? `${row.expiresAt} (${row.expiresIn})` : "-",
      row.nextRefreshIn || "-",
      namespacesCell(row),
    ]),
  );
}

const indent = (text: string) =>
  text
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");

/**
 * The wide view's details below the table: per credential with any, its Verified message, its
 * status.verification entries and its status.pullFailures. Empty when no row has any.
 */
export function formatStatusDetails(rows: StatusRow[], now: Date): string {
  const sections = rows.flatMap((row) => {
    if (!row.verified && row.verification.length === 0 && row.pullFailures.length === 0) return [];
    const lines = [`${row.kind} ${nameOf(row)}:`];
    if (row.verified)
      lines.push(
        `  Verified: ${row.verified.status} (${row.verified.reason})${row.verified.message ? `: ${row.verified.message}` : ""}`,
      );
    if (row.verification.length > 0)
      lines.push(
        "  verification:",
        indent(
          formatTable(
            ["source", "host", "image", "reason", "verified", "message"],
            row.verification.map((v) => [
              String(v.index),
              v.host,
              v.image ?? "-",
              v.reason,
              relativeTime(v.verifiedAt, now) || v.verifiedAt,
              v.message.replace(/\s+/g, " "),
            ]),
          ),
        ),
      );
    if (row.pullFailures.length > 0)
      lines.push(
        "  pull failures:",
        indent(
          formatTable(
            ["pod", "image", "cause", "action", "last seen"],
            row.pullFailures.map((f) => [
              `${f.namespace}/${f.pod}`,
              f.image,
              f.cause,
              f.action,
              relativeTime(f.lastSeen, now) || f.lastSeen,
            ]),
          ),
        ),
      );
    return [lines.join("\n")];
  });
  return sections.join("\n\n");
}
