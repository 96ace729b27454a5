/**
 * Which managed pull Secrets the pod admission webhook adds to pods, by namespace.
 *
 * Contract: secretsFor() is called on every pod admission and must answer well inside the webhook's
 * timeout; it returns [] for a namespace nothing targets. It may be asynchronous (to look up a
 * namespace created a moment ago); a rejection makes the webhook admit the pod unchanged.
 */
export interface PullSecretIndex {
  /** Secret names pods in the namespace should reference: de-duplicated, sorted, possibly empty. */
  secretsFor(namespace: string): readonly string[] | Promise<readonly string[]>;
}
