import type { PullSecretIndex } from "../../../src/webhook/pull-secret-index.js";

const none: readonly string[] = Object.freeze([]);

/**
 * An in-memory PullSecretIndex that tests fill by hand (the operator's own is WebhookTargets,
 * derived from its informers). An owner is the key of the credential
 * resource that opted in to injection (e.g. "ClusterRegistryCredential/name" or
 * "RegistryCredential/namespace/name"); for each namespace it targets, the owner declares the names
 * of the Secrets it writes there. A namespace's answer is the union over all its owners.
 *
 * Writers pay for the merge (proportional to the owners of the namespaces they touch) so that
 * lookups are a single map read. Not thread-safe in any sense beyond JavaScript's run-to-completion:
 * each method leaves the index consistent before it returns.
 */
export class MutablePullSecretIndex implements PullSecretIndex {
  /** namespace → owner → that owner's secret names there (never empty). */
  private readonly byNamespace = new Map<string, Map<string, readonly string[]>>();
  /** owner → namespaces it has entries in. */
  private readonly byOwner = new Map<string, Set<string>>();
  /** namespace → the merged, sorted, frozen answer of secretsFor (only for namespaces with entries). */
  private readonly merged = new Map<string, readonly string[]>();

  secretsFor(namespace: string): readonly string[] {
    return this.merged.get(namespace) ?? none;
  }

  /**
   * Declares that `owner` wants `secretNames` in `namespace`, replacing what it declared there
   * before. An empty list removes the owner's entry for that namespace.
   */
  set(owner: string, namespace: string, secretNames: readonly string[]): void {
    const names = [...new Set(secretNames.filter((name) => name.length > 0))];
    let owners = this.byNamespace.get(namespace);
    if (names.length === 0) {
      if (!owners?.delete(owner)) return;
      this.byOwner.get(owner)?.delete(namespace);
      if (this.byOwner.get(owner)?.size === 0) this.byOwner.delete(owner);
    } else {
      if (!owners) {
        owners = new Map();
        this.byNamespace.set(namespace, owners);
      }
      owners.set(owner, names);
      let namespaces = this.byOwner.get(owner);
      if (!namespaces) {
        namespaces = new Set();
        this.byOwner.set(owner, namespaces);
      }
      namespaces.add(namespace);
    }
    this.remerge(namespace);
  }

  /**
   * Replaces everything `owner` declared with `entries` (namespace → secret names): namespaces the
   * owner no longer lists lose its Secrets. For a controller that recomputes an owner's full target
   * set on each reconcile.
   */
  setOwner(
    owner: string,
    entries: Iterable<readonly [namespace: string, secretNames: readonly string[]]>,
  ): void {
    const next = new Map(entries);
    for (const namespace of [...(this.byOwner.get(owner) ?? [])]) {
      if (!next.has(namespace)) this.set(owner, namespace, []);
    }
    for (const [namespace, names] of next) this.set(owner, namespace, names);
  }

  /** Forgets everything `owner` declared (the credential resource was deleted or opted out). */
  removeOwner(owner: string): void {
    this.setOwner(owner, []);
  }

  /** Forgets every owner's entry for `namespace` (the namespace was deleted). */
  removeNamespace(namespace: string): void {
    const owners = this.byNamespace.get(namespace);
    if (!owners) return;
    for (const owner of [...owners.keys()]) this.set(owner, namespace, []);
  }

  /** The namespaces `owner` currently has entries in. */
  namespacesOf(owner: string): readonly string[] {
    return [...(this.byOwner.get(owner) ?? [])].sort();
  }

  private remerge(namespace: string): void {
    const owners = this.byNamespace.get(namespace);
    if (!owners || owners.size === 0) {
      this.byNamespace.delete(namespace);
      this.merged.delete(namespace);
      return;
    }
    const names = new Set<string>();
    for (const list of owners.values()) for (const name of list) names.add(name);
    this.merged.set(namespace, Object.freeze([...names].sort()));
  }
}
