import { type ClusterRegistryCredential, clusterRegistryCredentialNames } from "../../api/v1alpha1.js";
import { ownerKey } from "../../secrets/ownership.js";
import type { ControllerContext } from "../credential/context.js";
import { CredentialController } from "../credential/credential-controller.js";
import type { CredentialKind } from "../credential/credential-kind.js";
import { credentialQueue } from "../credential/credential-queue.js";
import { syncCredential, syncTarget } from "../credential/sync-credential.js";
import type { WorkQueue } from "../runtime/work-queue.js";
import { type ClusterKey, watchClusterInputs } from "./inputs.js";
import { clusterRegistryCredentialKind } from "./kind.js";

const kind = clusterRegistryCredentialNames.kind;
/** How long namespace-level changes wait before the resource's status is recounted. */
const statusDebounceMs = 1000;

/**
 * Wiring for ClusterRegistryCredentials. Two kinds of work share one queue: a full sync per resource
 * (mint, fan out to every namespace, clean up, status) and a namespace-level sync per (resource,
 * namespace), so a new namespace or ServiceAccount is handled at once, even while a full rotation
 * across thousands of namespaces is under way. A change of a Secret its sources read runs the full
 * sync at once. Owns no reconcile logic of its own.
 */
export class ClusterRegistryCredentialController extends CredentialController<ClusterKey> {
  readonly queue: WorkQueue<ClusterKey>;
  private readonly crcKind: CredentialKind<ClusterRegistryCredential>;

  constructor(ctx: ControllerContext) {
    super(ctx, kind);
    const crcKind = clusterRegistryCredentialKind(ctx);
    this.crcKind = crcKind;
    this.queue = credentialQueue<ClusterKey>(
      ctx,
      kind,
      {
        keyOf: (k) => (k.namespace === undefined ? `full/${k.name}` : `ns/${k.name}/${k.namespace}`),
        describe: (k) => ({ kind, name: k.name, ...(k.namespace ? { target: k.namespace } : {}) }),
      },
      async (key, run) => {
        if (key.namespace === undefined)
          return syncCredential(ctx, crcKind, this.state, { name: key.name }, run);
        // A namespace-level sync needs the resource's plan; without one, run the full sync first
        // (unless the full sync is backing off: its retry stands).
        if (await syncTarget(ctx, crcKind, this.state, { name: key.name }, key.namespace, run))
          this.queue.touchAfter({ name: key.name }, statusDebounceMs);
        else this.queue.touch({ name: key.name });
        return {};
      },
    );
    const credentials = ctx.informers.clusterCredentials;
    const onCredential = (crc: ClusterRegistryCredential) => {
      this.followReferences(crcKind, crc, { name: crc.metadata.name as string });
      if (this.changes.changed(crc.metadata.name as string, crc))
        this.queue.add({ name: crc.metadata.name as string });
    };
    credentials?.on("add", onCredential);
    credentials?.on("update", onCredential);
    credentials?.on("delete", (crc) => {
      this.changes.forget(crc.metadata.name as string);
      ctx.references.untrack(ownerKey({ kind, name: crc.metadata.name as string }));
      this.queue.add({ name: crc.metadata.name as string });
    });
    watchClusterInputs(ctx, this.state, {
      namespace: (name, namespace) => this.queue.add({ name, namespace }),
      recount: (name) => this.queue.touchAfter({ name }, statusDebounceMs),
    });
  }

  protected queueAll(): number {
    const all = this.ctx.informers.clusterCredentials?.list() ?? [];
    for (const crc of all) {
      this.followReferences(this.crcKind, crc, { name: crc.metadata.name as string });
      this.queue.add({ name: crc.metadata.name as string });
    }
    return all.length;
  }
}
