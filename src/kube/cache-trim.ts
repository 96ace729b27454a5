// What the informer caches keep of each object: only the fields the operator reads, so memory
// follows the number of objects, not what others write into them (managedFields alone are often
// half of an object's JSON).
import type {
  KubernetesObject,
  V1Namespace,
  V1ObjectMeta,
  V1Secret,
  V1ServiceAccount,
} from "@kubernetes/client-node";

/**
 * The part of a namespace the operator reads: its name and labels (the selections), whether it is
 * being deleted, and the resourceVersion the cache needs to resume its watch.
 */
export interface CachedNamespace {
  metadata?: Pick<V1ObjectMeta, "name" | "uid" | "labels" | "deletionTimestamp" | "resourceVersion">;
  status?: { phase?: string };
}

/** `object` without metadata.managedFields (a shallow copy; `object` itself is not changed). */
export function withoutManagedFields<T extends KubernetesObject>(object: T): T {
  if (!object.metadata?.managedFields) return object;
  const { managedFields: _managedFields, ...metadata } = object.metadata;
  return { ...object, metadata };
}

/** What the namespace cache holds: CachedNamespace's fields, nothing else. */
export function trimNamespace(namespace: V1Namespace): CachedNamespace {
  const { name, uid, labels, deletionTimestamp, resourceVersion } = namespace.metadata ?? {};
  const phase = namespace.status?.phase;
  return {
    metadata: {
      name,
      uid,
      resourceVersion,
      ...(labels ? { labels } : {}),
      ...(deletionTimestamp ? { deletionTimestamp } : {}),
    },
    ...(phase ? { status: { phase } } : {}),
  };
}

/**
 * What the ServiceAccount cache holds: the metadata without managedFields, and imagePullSecrets
 * (which the patches extend). Its token Secrets and automount setting are never read.
 */
export function trimServiceAccount(account: V1ServiceAccount): V1ServiceAccount {
  const { managedFields: _managedFields, ...metadata } = account.metadata ?? {};
  return {
    ...(account.apiVersion ? { apiVersion: account.apiVersion } : {}),
    ...(account.kind ? { kind: account.kind } : {}),
    metadata,
    ...(account.imagePullSecrets ? { imagePullSecrets: account.imagePullSecrets } : {}),
  };
}

/**
 * The distinct values most recently seen, so equal strings held by many cached objects (the same
 * docker config written into thousands of namespaces) are held once. Bounded: the oldest value is
 * forgotten first.
 */
export class StringPool {
  private readonly values = new Map<string, string>();

  constructor(private readonly capacity: number) {}

  /** The pooled string equal to `value` (`value` itself the first time it is seen). */
  intern(value: string): string {
    const pooled = this.values.get(value);
    if (pooled !== undefined) {
      // Most recently used last.
      this.values.delete(value);
      this.values.set(value, pooled);
      return pooled;
    }
    this.values.set(value, value);
    if (this.values.size > this.capacity) this.values.delete(this.values.keys().next().value as string);
    return value;
  }

  /** Whether the pool holds `value` now. */
  holds(value: string): boolean {
    return this.values.has(value);
  }
}

/**
 * A trim for the operator's own Secrets: everything the writes, recovery and signature checks read
 * stays; managedFields go, and each data value is shared with equal values of other cached Secrets.
 */
export function secretTrim(pool: StringPool): (secret: V1Secret) => V1Secret {
  return (secret) => {
    const trimmed = withoutManagedFields(secret);
    if (!trimmed.data) return trimmed;
    const data: Record<string, string> = {};
    for (const [key, value] of Object.entries(trimmed.data)) data[key] = pool.intern(value);
    return { ...trimmed, data };
  };
}
