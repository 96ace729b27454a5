import type { ClusterRegistryCredential, RegistryCredential } from "../src/api/v1alpha1.js";
import { formatDuration } from "../src/util/duration.js";

export interface DemoPod {
  namespace: string;
  name: string;
  imagePullSecrets: string[];
  /** Running, a waiting reason (ErrImagePull, ...) or the phase; only a node makes it change. */
  state: string;
}

export interface DemoSnapshot {
  now: Date;
  credentials: (RegistryCredential | ClusterRegistryCredential)[];
  refreshes: Map<string, number>;
  pods: DemoPod[];
  /** The real node's registry, when there is a node. */
  node?: { tokensAdmitted: number; refused: number };
  mints: number;
}

const pad = (text: string, width: number) =>
  text.length >= width ? text.slice(0, width) : text + " ".repeat(width - text.length);

function until(now: Date, iso: string | undefined): string {
  if (!iso) return "-";
  const ms = new Date(iso).getTime() - now.getTime();
  return ms >= 0 ? `in ${formatDuration(ms)}` : `${formatDuration(-ms)} ago`;
}

/** The demo's live table, as lines of text (no token values: only names, counts and times). */
export function renderTable(snapshot: DemoSnapshot): string[] {
  const columns: [string, number][] = [
    ["CREDENTIAL", 44],
    ["READY", 6],
    ["NAMESPACES", 11],
    ["EXPIRES", 12],
    ["NEXT REFRESH", 13],
    ["REFRESHES", 9],
  ];
  const lines = [columns.map(([title, width]) => pad(title, width)).join(" ")];
  for (const rc of snapshot.credentials) {
    const id = rc.metadata.namespace
      ? `${rc.kind}/${rc.metadata.namespace}/${rc.metadata.name}`
      : `${rc.kind}/${rc.metadata.name}`;
    const ready = rc.status?.conditions?.find((c) => c.type === "Ready");
    const counts =
      "namespaces" in (rc.status ?? {}) ? (rc as ClusterRegistryCredential).status?.namespaces : undefined;
    const covered = counts ? `${counts.inSync}/${counts.targeted}` : rc.metadata.namespace ? "1/1" : "-";
    const cells = [
      id,
      ready?.status ?? "-",
      covered,
      until(snapshot.now, rc.status?.expiresAt),
      until(snapshot.now, rc.status?.nextRefreshTime),
      String(snapshot.refreshes.get(id) ?? 0),
    ];
    lines.push(cells.map((cell, i) => pad(cell, (columns[i] as [string, number])[1])).join(" "));
  }
  lines.push("");
  lines.push(
    `provider calls (mints) so far: ${snapshot.mints} — one per identity per refresh, however many namespaces`,
  );
  for (const pod of snapshot.pods) {
    const secrets = pod.imagePullSecrets.join(", ") || "(none)";
    const state = snapshot.node ? `, ${pod.state}` : "";
    lines.push(`pod ${pod.namespace}/${pod.name} was admitted with imagePullSecrets: ${secrets}${state}`);
  }
  if (snapshot.node)
    lines.push(
      `node: the registry admitted pulls with ${snapshot.node.tokensAdmitted} distinct token(s) and refused ${snapshot.node.refused} login(s)`,
    );
  return lines;
}
