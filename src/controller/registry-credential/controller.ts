import type { V1Secret, V1ServiceAccount } from "@kubernetes/client-node";
import { type RegistryCredential, registryCredentialNames } from "../../api/v1alpha1.js";
import { annotations, parseOwnerKey } from "../../secrets/ownership.js";
import { addedByOperator } from "../../serviceaccounts/pull-secret-patch.js";
import { selectsServiceAccount } from "../../serviceaccounts/selection.js";
import type { ControllerContext } from "../credential/context.js";
import type { CredentialKey } from "../credential/credential-kind.js";
import { credentialQueue, SpecChanges } from "../credential/credential-queue.js";
import { syncCredential } from "../credential/sync-credential.js";
import { TargetState } from "../credential/targets.js";
import type { Controller } from "../runtime/controller.js";
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
 * Reacts to its resources (at once), and to the Secrets it wrote and the ServiceAccounts it
 * selects or patched (at once, unless the resource is backing off after a failure: then its retry
 * stands). Owns no reconcile logic of its own.
 */
export class RegistryCredentialController implements Controller {
  readonly queue: WorkQueue<Key>;
  private readonly changes = new SpecChanges();

  constructor(private readonly ctx: ControllerContext) {
    const credentials = ctx.informers.credentials;
    const rcKind = registryCredentialKind(ctx);
    const state = new TargetState();
    this.queue = credentialQueue<Key>(
      ctx,
      kind,
      { keyOf: (k) => `${k.namespace}/${k.name}`, describe: (k) => ({ kind, ...k }) },
      (key, run) => syncCredential(ctx, rcKind, state, key, run),
    );
    credentials.on("add", (rc) => this.onCredential(rc));
    credentials.on("update", (rc) => this.onCredential(rc));
    credentials.on("delete", (rc) => {
      this.changes.forget(`${rc.metadata.namespace}/${rc.metadata.name}`);
      this.queue.add(keyOf(rc));
    });
    // Its own Secret changed or went away: only when the annotations name this resource and its uid.
    const onSecret = (secret: V1Secret) => {
      const owner = parseOwnerKey(secret.metadata?.annotations?.[annotations.owner]);
      if (owner?.kind !== kind || !owner.namespace || owner.namespace !== secret.metadata?.namespace) return;
      const rc = credentials.get(owner.name, owner.namespace);
      if (rc && rc.metadata.uid === secret.metadata?.annotations?.[annotations.ownerUid])
        this.queue.touch(keyOf(rc));
    };
    ctx.informers.secrets.on("update", onSecret);
    ctx.informers.secrets.on("delete", onSecret);
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

  start(): void {
    const all = this.ctx.informers.credentials.list();
    for (const rc of all) this.onCredential(rc);
    this.queue.resume();
    this.ctx.logger.info({ credentials: all.length }, "RegistryCredential controller started");
  }

  async stop(): Promise<void> {
    await this.queue.shutdown();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private onCredential(rc: RegistryCredential): void {
    if (this.changes.changed(`${rc.metadata.namespace}/${rc.metadata.name}`, rc)) this.queue.add(keyOf(rc));
  }
}
