import type { V1ServiceAccount } from "@kubernetes/client-node";
import { type RegistryCredential, registryCredentialNames } from "../../api/v1alpha1.js";
import { ownerKey } from "../../secrets/ownership.js";
import { addedByOperator } from "../../serviceaccounts/pull-secret-patch.js";
import { selectsServiceAccount } from "../../serviceaccounts/selection.js";
import type { ControllerContext } from "../credential/context.js";
import { CredentialController } from "../credential/credential-controller.js";
import type { CredentialKey, CredentialKind } from "../credential/credential-kind.js";
import { credentialQueue } from "../credential/credential-queue.js";
import { onOwnedSecrets } from "../credential/owned-secrets.js";
import { syncCredential } from "../credential/sync-credential.js";
import type { WorkQueue } from "../runtime/work-queue.js";
import { registryCredentialKind } from "./kind.js";

type Key = Required<CredentialKey>;
const kind = registryCredentialNames.kind;
const keyOf = (rc: RegistryCredential): Key => ({
  namespace: rc.metadata.namespace as string,
  name: rc.metadata.name as string,
});

/**
 * Wiring for RegistryCredentials: informer events → work queue → the shared credential pipeline.
 * Reacts to its resources and the Secrets their sources read (at once), and to the Secrets it wrote
 * and the ServiceAccounts it selects or patched (at once, unless the resource is backing off after a
 * failure: then its retry stands). Owns no reconcile logic of its own.
 */
export class RegistryCredentialController extends CredentialController<Key> {
  readonly queue: WorkQueue<Key>;
  private readonly rcKind: CredentialKind<RegistryCredential>;

  constructor(ctx: ControllerContext) {
    super(ctx, kind);
    const credentials = ctx.informers.credentials;
    const rcKind = registryCredentialKind(ctx);
    this.rcKind = rcKind;
    this.queue = credentialQueue<Key>(
      ctx,
      kind,
      { keyOf: (k) => `${k.namespace}/${k.name}`, describe: (k) => ({ kind, ...k }) },
      (key, run) => syncCredential(ctx, rcKind, this.state, key, run),
    );
    credentials.on("add", (rc) => this.onCredential(rc));
    credentials.on("update", (rc) => this.onCredential(rc));
    credentials.on("delete", (rc) => {
      this.changes.forget(`${rc.metadata.namespace}/${rc.metadata.name}`);
      ctx.references.untrack(ownerKey({ kind, ...keyOf(rc) }));
      this.queue.add(keyOf(rc));
    });
    // Its own Secret changed or went away.
    onOwnedSecrets<RegistryCredential>(
      ctx,
      kind,
      ({ name, namespace }) => (namespace ? credentials.get(name, namespace) : undefined),
      (rc) => this.queue.touch(keyOf(rc)),
    );
    // A ServiceAccount the resource selects, or one it patched before (which may have left the selection).
    const onAccount = (account: V1ServiceAccount) => {
      for (const rc of credentials.list(account.metadata?.namespace as string)) {
        const secretName = rc.spec.secret?.name ?? (rc.metadata.name as string);
        if (selectsServiceAccount(rc.spec.serviceAccounts, account) || addedByOperator(account, secretName))
          this.queue.touch(keyOf(rc));
      }
    };
    ctx.informers.serviceAccounts.on("add", onAccount);
    ctx.informers.serviceAccounts.on("update", onAccount);
  }

  protected queueAll(): number {
    const all = this.ctx.informers.credentials.list();
    for (const rc of all) this.onCredential(rc);
    return all.length;
  }

  private onCredential(rc: RegistryCredential): void {
    this.followReferences(this.rcKind, rc, keyOf(rc));
    if (this.changes.changed(`${rc.metadata.namespace}/${rc.metadata.name}`, rc)) this.queue.add(keyOf(rc));
  }
}
