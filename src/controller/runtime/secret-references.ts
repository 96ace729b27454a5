import type { ObjectVersion } from "../../kube/metadata-watch.js";

/** A Secret a credential resource's sources read: where and under which name. */
export interface SecretRef {
  namespace: string;
  name: string;
}

/** A referenced Secret: who reads it, and its last seen resourceVersion (null: seen absent; undefined: not seen yet). */
interface Entry {
  owners: Set<string>;
  version?: string | null;
}

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;

/**
 * Which credential resources read which Secrets: (namespace, name) → the resources that read it,
 * each with what to do when it changes, and the Secret's last seen resourceVersion, so that each
 * actual change (a creation, a new resourceVersion, a deletion) notifies each reader once, however
 * often it is reported. Holds one entry per referenced Secret and one per resource with
 * references, nothing about any other Secret: Secrets tenants create cost no memory here.
 */
export class SecretReferences {
  private readonly byOwner = new Map<string, { secrets: string[]; notify: (secret: SecretRef) => void }>();
  private readonly bySecret = new Map<string, Entry>();

  /**
   * Records that `owner` (a stable id, e.g. "RegistryCredential/ns/name") reads exactly `secrets`
   * now, replacing what it read before; `notify` is called with the Secret on each change of one of
   * them. An empty list forgets the owner.
   */
  track(owner: string, secrets: readonly SecretRef[], notify: (secret: SecretRef) => void): void {
    const keys = [...new Set(secrets.map((s) => keyOf(s.namespace, s.name)))];
    const before = this.byOwner.get(owner)?.secrets ?? [];
    for (const key of before) if (!keys.includes(key)) this.drop(owner, key);
    if (keys.length === 0) {
      this.byOwner.delete(owner);
      return;
    }
    this.byOwner.set(owner, { secrets: keys, notify });
    for (const key of keys) {
      let entry = this.bySecret.get(key);
      if (!entry) {
        entry = { owners: new Set() };
        this.bySecret.set(key, entry);
      }
      entry.owners.add(owner);
    }
  }

  /** Forgets `owner`, and every Secret only it read. */
  untrack(owner: string): void {
    for (const key of this.byOwner.get(owner)?.secrets ?? []) this.drop(owner, key);
    this.byOwner.delete(owner);
  }

  /** Whether some tracked resource reads the Secret. */
  isReferenced(namespace: string | undefined, name: string | undefined): boolean {
    return namespace !== undefined && name !== undefined && this.bySecret.has(keyOf(namespace, name));
  }

  /**
   * The Secret was seen with `resourceVersion` (null: deleted, or absent). Notifies each reader once
   * when that differs from what was seen last (a Secret not seen since it became referenced counts
   * as changed: only a change is reported for it); returns how many were notified.
   */
  observe(namespace: string, name: string, resourceVersion: string | null): number {
    const entry = this.bySecret.get(keyOf(namespace, name));
    if (!entry || entry.version === resourceVersion) return 0;
    entry.version = resourceVersion;
    const owners = [...entry.owners];
    for (const owner of owners) this.byOwner.get(owner)?.notify({ namespace, name });
    return owners.length;
  }

  /**
   * A list found exactly `present` of the referenced Secrets. The first list only records what it
   * found; a later one (after a watch lost its place) reports what differs as changes, and every
   * referenced Secret it does not find as deleted (notifying, unless it was seen absent before).
   */
  listed(present: readonly ObjectVersion[], initial: boolean): void {
    const found = new Map(present.map((s) => [keyOf(s.namespace, s.name), s.resourceVersion]));
    for (const [key, entry] of this.bySecret) {
      const version = found.get(key) ?? null;
      if (initial) entry.version = version;
      else {
        const [namespace, name] = key.split("/") as [string, string];
        this.observe(namespace, name, version);
      }
    }
  }

  /** How many distinct Secrets are referenced. */
  get size(): number {
    return this.bySecret.size;
  }

  private drop(owner: string, key: string): void {
    const entry = this.bySecret.get(key);
    entry?.owners.delete(owner);
    if (entry?.owners.size === 0) this.bySecret.delete(key);
  }
}
