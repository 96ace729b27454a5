import type { V1Namespace } from "@kubernetes/client-node";

/**
 * Where the pod admission webhook injects which Secret, as declared by credential resources that
 * opted in to the Webhook mechanism. Controllers declare a namespace predicate, not a list, so a
 * namespace created a moment ago is covered before any controller has seen it.
 */
export interface PodAdmissionTargets {
  /** Declares that pods in namespaces matching `selects` get `secretName` (replacing the owner's previous declaration). */
  set(owner: string, selects: (namespace: V1Namespace) => boolean, secretName: string): void;
  removeOwner(owner: string): void;
}

/** Finds a namespace by name: from a cache when it is there, else from the apiserver; undefined when it does not exist. */
export type NamespaceLookup = (name: string) => Promise<V1Namespace | undefined>;

/** The PodAdmissionTargets the webhook reads through secretsFor(namespace). */
export class WebhookTargets implements PodAdmissionTargets {
  private readonly owners = new Map<
    string,
    { selects: (namespace: V1Namespace) => boolean; secretName: string }
  >();

  constructor(private readonly lookup: NamespaceLookup) {}

  set(owner: string, selects: (namespace: V1Namespace) => boolean, secretName: string): void {
    this.owners.set(owner, { selects, secretName });
  }

  removeOwner(owner: string): void {
    this.owners.delete(owner);
  }

  /**
   * The Secret names to inject into pods of `namespace`, sorted and without duplicates. Looks the
   * namespace up only when some owner has opted in. Rejects when the lookup fails (the webhook then
   * admits the pod unchanged).
   */
  async secretsFor(namespace: string): Promise<readonly string[]> {
    if (this.owners.size === 0) return [];
    const object = await this.lookup(namespace);
    if (!object) return [];
    const names = new Set<string>();
    for (const { selects, secretName } of this.owners.values()) if (selects(object)) names.add(secretName);
    return [...names].sort();
  }
}
