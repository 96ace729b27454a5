/**
 * Pod annotation (and label, matched by the webhook's objectSelector) with which a pod opts out of
 * pull Secret injection: `regcred.dev/inject: "false"`.
 */
export const injectOptOutKey = "regcred.dev/inject";
export const injectOptOutValue = "false";

/** One RFC 6902 operation; the webhook only ever adds. */
export interface JsonPatchOperation {
  op: "add";
  path: string;
  value: unknown;
}

/** The parts of a Pod that mutatePod reads; everything else is ignored and never copied. */
export interface PodLike {
  metadata?: { annotations?: Record<string, string> | null } | null;
  spec?: { imagePullSecrets?: ReadonlyArray<{ name?: string | null } | null> | null } | null;
}

/**
 * The JSON Patch that makes `pod.spec.imagePullSecrets` reference every name in `secretNames`.
 *
 * - Creates the array when it is absent (or null); otherwise appends, so existing entries (ours or
 *   anybody's) keep their order and are never rewritten.
 * - Adds each missing name once, in the order given; names already present are skipped, so applying
 *   the patch and calling again yields [] (safe under reinvocationPolicy IfNeeded).
 * - Returns [] when there is nothing to add, when the pod opted out with annotation
 *   `regcred.dev/inject: "false"`, or when the pod has no spec or a non-array imagePullSecrets
 *   (a malformed pod the apiserver will reject by itself; the webhook never blocks it).
 * Pure: does not modify `pod`.
 */
export function mutatePod(pod: PodLike, secretNames: readonly string[]): JsonPatchOperation[] {
  if (pod.metadata?.annotations?.[injectOptOutKey] === injectOptOutValue) return [];
  const spec = pod.spec;
  if (spec === null || typeof spec !== "object") return [];
  const existing = spec.imagePullSecrets;
  if (existing !== undefined && existing !== null && !Array.isArray(existing)) return [];

  const present = new Set<string>();
  for (const entry of existing ?? []) if (typeof entry?.name === "string") present.add(entry.name);
  const missing: string[] = [];
  for (const name of secretNames) {
    if (name.length === 0 || present.has(name)) continue;
    present.add(name);
    missing.push(name);
  }
  if (missing.length === 0) return [];

  if (existing === undefined || existing === null) {
    return [{ op: "add", path: "/spec/imagePullSecrets", value: missing.map((name) => ({ name })) }];
  }
  return missing.map((name) => ({ op: "add", path: "/spec/imagePullSecrets/-", value: { name } }));
}
