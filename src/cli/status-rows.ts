import type {
  ClusterRegistryCredential,
  RegistryCredential,
  RegistryCredentialStatus,
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
}

function common(status: RegistryCredentialStatus | undefined, generation: number | undefined, now: Date) {
  const ready = status?.conditions?.find((c) => c.type === "Ready");
  const stale = (status?.observedGeneration ?? 0) < (generation ?? 0);
  const hosts = [...new Set((status?.sources ?? []).flatMap((source) => source.hosts))].sort();
  return {
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

function namespacesCell(row: StatusRow): string {
  if ("namespace" in row.namespaces) return row.namespaces.namespace;
  const { inSync, targeted, failed } = row.namespaces;
  return `${inSync}/${targeted}${failed ? ` (${failed} failed)` : ""}`;
}

export function formatStatusTable(rows: StatusRow[]): string {
  if (rows.length === 0) return "No RegistryCredentials or ClusterRegistryCredentials found.";
  return formatTable(
    ["kind", "name", "ready", "reason", "hosts", "expires", "next refresh", "namespaces"],
    rows.map((row) => [
      row.kind === "RegistryCredential" ? "RegistryCredential" : "ClusterRegistryCredential",
      row.namespace ? `${row.namespace}/${row.name}` : row.name,
      row.ready,
      row.reason || "-",
      row.hosts.join(",") || "-",
      row.expiresAt ? `${row.expiresAt} (${row.expiresIn})` : "-",
      row.nextRefreshIn || "-",
      namespacesCell(row),
    ]),
  );
}
