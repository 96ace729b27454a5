/**
 * Where the pod admission webhook injects which Secret, as declared by credential resources that
 * opted in. Implemented by the webhook's index; the controllers only declare.
 */
export interface PodAdmissionTargets {
  /** Declares that pods in these namespaces get `secretName` (replacing the owner's previous declaration). */
  set(owner: string, namespaces: readonly string[], secretName: string): void;
  /** Declares that pods in this namespace get the owner's Secret too (or no longer, when `included` is false). */
  setNamespace(owner: string, namespace: string, secretName: string, included: boolean): void;
  removeOwner(owner: string): void;
}

/** The in-memory PodAdmissionTargets the webhook reads through secretsFor(namespace). */
export class InMemoryPodAdmissionTargets implements PodAdmissionTargets {
  /** owner → (namespace → secret name) */
  private readonly byOwner = new Map<string, Map<string, string>>();
  /** namespace → (owner → secret name) */
  private readonly byNamespace = new Map<string, Map<string, string>>();

  set(owner: string, namespaces: readonly string[], secretName: string): void {
    this.removeOwner(owner);
    for (const namespace of namespaces) this.setNamespace(owner, namespace, secretName, true);
  }

  setNamespace(owner: string, namespace: string, secretName: string, included: boolean): void {
    const ownerEntry = this.byOwner.get(owner) ?? new Map<string, string>();
    const namespaceEntry = this.byNamespace.get(namespace) ?? new Map<string, string>();
    if (included) {
      ownerEntry.set(namespace, secretName);
      namespaceEntry.set(owner, secretName);
    } else {
      ownerEntry.delete(namespace);
      namespaceEntry.delete(owner);
    }
    if (ownerEntry.size > 0) this.byOwner.set(owner, ownerEntry);
    else this.byOwner.delete(owner);
    if (namespaceEntry.size > 0) this.byNamespace.set(namespace, namespaceEntry);
    else this.byNamespace.delete(namespace);
  }

  removeOwner(owner: string): void {
    for (const namespace of this.byOwner.get(owner)?.keys() ?? []) {
      const entry = this.byNamespace.get(namespace);
      entry?.delete(owner);
      if (entry?.size === 0) this.byNamespace.delete(namespace);
    }
    this.byOwner.delete(owner);
  }

  /** The Secret names to inject into pods of `namespace`, sorted and without duplicates. */
  secretsFor(namespace: string): readonly string[] {
    return [...new Set(this.byNamespace.get(namespace)?.values() ?? [])].sort();
  }
}
