// An in-memory apiserver for the objects the sync functions touch (Secrets, ServiceAccounts,
// Namespaces, Events, both credential kinds, MutatingAdmissionPolicies and their bindings), with
// informer views over it. It checks what the real apiserver checks on those paths (resourceVersion
// and uid preconditions, AlreadyExists, the 256 KiB annotation limit) and records every write, so
// unit tests can run the real sync functions and controllers in milliseconds.
import {
  type AdmissionregistrationV1Api,
  ApiException,
  type CoreV1Api,
  type KubernetesObject,
  type V1MutatingAdmissionPolicy,
  type V1MutatingAdmissionPolicyBinding,
  type V1Namespace,
  type V1Secret,
  type V1ServiceAccount,
} from "@kubernetes/client-node";
import type { ClusterRegistryCredential, RegistryCredential } from "../../../src/api/v1alpha1.js";
import { SecretReferences } from "../../../src/controller/runtime/secret-references.js";
import type { Informer, InformerEvent } from "../../../src/kube/informer.js";
import type { CredentialObjectsApi, KubePort } from "../../../src/kube/ports.js";
import { managedByLabel, managedByValue } from "../../../src/secrets/ownership.js";

type Obj = KubernetesObject & { metadata: NonNullable<KubernetesObject["metadata"]> };

const status = (code: number, reason: string, message: string) =>
  new ApiException(code, reason, JSON.stringify({ kind: "Status", code, reason, message }), {});
const notFound = (what: string) => status(404, "NotFound", `${what} not found`);
const conflict = (message: string) => status(409, "Conflict", message);

/** The apiserver's limit on the total size of an object's annotations (keys and values). */
const totalAnnotationBytes = 256 * 1024;

/** One kind's objects in "etcd", keyed "namespace/name" (namespace empty for cluster-scoped kinds). */
class Store<T extends Obj> {
  readonly items = new Map<string, T>();
  private static revision = 100;

  constructor(private readonly kind: string) {}

  key(namespace: string | undefined, name: string): string {
    return `${namespace ?? ""}/${name}`;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    const item = this.items.get(this.key(namespace, name));
    return item ? structuredClone(item) : undefined;
  }

  /** Stores a copy with a new resourceVersion (and a uid when it has none); returns another copy. */
  put(object: T): T {
    const copy = structuredClone(object);
    const annotationBytes = Object.entries(copy.metadata.annotations ?? {}).reduce(
      (sum, [k, v]) => sum + k.length + v.length,
      0,
    );
    if (annotationBytes > totalAnnotationBytes)
      throw status(
        422,
        "Invalid",
        `${this.kind} "${copy.metadata.name}" is invalid: metadata.annotations: Too long: may not be more than ${totalAnnotationBytes} bytes`,
      );
    copy.metadata.resourceVersion = String(++Store.revision);
    copy.metadata.uid ??= `uid-${this.kind.toLowerCase()}-${copy.metadata.namespace ?? ""}-${copy.metadata.name}-${Store.revision}`;
    this.items.set(this.key(copy.metadata.namespace, copy.metadata.name as string), copy);
    return structuredClone(copy);
  }

  delete(namespace: string | undefined, name: string): T | undefined {
    const key = this.key(namespace, name);
    const item = this.items.get(key);
    this.items.delete(key);
    return item;
  }
}

/** An informer over a Store: listing order is namespaces in the order first seen, as client-node's. */
class FakeInformer<T extends Obj> implements Informer<T> {
  private objects = new Map<string, Map<string, T>>();
  private readonly handlers: Record<InformerEvent, ((object: T) => void)[]> = {
    add: [],
    update: [],
    delete: [],
  };

  constructor(private readonly filter: (object: T) => boolean = () => true) {}

  /** Refills the cache as a fresh LIST would: in etcd key order (namespace, then name), no events. */
  relist(all: Iterable<T>): void {
    this.objects = new Map();
    const sorted = [...all].sort((a, b) =>
      `${a.metadata.namespace ?? ""}/${a.metadata.name}`.localeCompare(
        `${b.metadata.namespace ?? ""}/${b.metadata.name}`,
      ),
    );
    for (const object of sorted) this.upsert(object, false);
  }

  upsert(object: T, emit = true): void {
    if (!this.filter(object)) {
      this.remove(object, emit);
      return;
    }
    const namespace = object.metadata.namespace ?? "";
    let names = this.objects.get(namespace);
    if (!names) {
      names = new Map();
      this.objects.set(namespace, names);
    }
    const existed = names.has(object.metadata.name as string);
    names.set(object.metadata.name as string, structuredClone(object));
    if (emit)
      for (const handler of this.handlers[existed ? "update" : "add"]) handler(structuredClone(object));
  }

  remove(object: T, emit = true): void {
    const names = this.objects.get(object.metadata.namespace ?? "");
    if (names?.delete(object.metadata.name as string) && emit)
      for (const handler of this.handlers.delete) handler(structuredClone(object));
  }

  get(name: string, namespace?: string): T | undefined {
    const object = this.objects.get(namespace ?? "")?.get(name);
    return object ? structuredClone(object) : undefined;
  }

  list(namespace?: string): readonly T[] {
    if (namespace !== undefined) return [...(this.objects.get(namespace)?.values() ?? [])];
    return [...this.objects.values()].flatMap((names) => [...names.values()]);
  }

  on(event: InformerEvent, handler: (object: T) => void): void {
    this.handlers[event].push(handler);
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}

type SecretObj = V1Secret & Obj;
type AccountObj = V1ServiceAccount & Obj;
type NamespaceObj = V1Namespace & Obj;
type RcObj = RegistryCredential & Obj;
type CrcObj = ClusterRegistryCredential & Obj;
type PolicyObj = V1MutatingAdmissionPolicy & Obj;
type BindingObj = V1MutatingAdmissionPolicyBinding & Obj;

export interface RecordedEvent {
  namespace: string;
  type: string;
  reason: string;
  message: string;
  involved: string;
}

const isManaged = (secret: SecretObj) => secret.metadata.labels?.[managedByLabel] === managedByValue;
const isManagedPolicy = (policy: PolicyObj) => policy.metadata.labels?.[managedByLabel] === managedByValue;

function matchesLabels(object: Obj, labelSelector: string | undefined): boolean {
  if (!labelSelector) return true;
  return labelSelector.split(",").every((term) => {
    const [key, value] = term.split("=");
    return object.metadata.labels?.[key as string] === value;
  });
}

/** The cluster: stores plus the informers the operator would hold. */
export class FakeCluster {
  readonly secrets = new Store<SecretObj>("Secret");
  readonly accounts = new Store<AccountObj>("ServiceAccount");
  readonly namespaces = new Store<NamespaceObj>("Namespace");
  readonly registryCredentials = new Store<RcObj>("RegistryCredential");
  readonly clusterCredentials = new Store<CrcObj>("ClusterRegistryCredential");
  readonly policies = new Store<PolicyObj>("MutatingAdmissionPolicy");
  readonly bindings = new Store<BindingObj>("MutatingAdmissionPolicyBinding");
  readonly events: RecordedEvent[] = [];
  /** Every write, e.g. "create Secret team-a/pull", in order. */
  readonly writes: string[] = [];
  /** Token requests served, as "namespace/name audience". */
  readonly tokenRequests: string[] = [];
  /** Kinds whose writes the "apiserver" refuses, with the status it answers (refuseWrites). */
  private readonly refusedKinds = new Map<string, ApiException<unknown>>();

  secretInformer = new FakeInformer<SecretObj>(isManaged);
  /**
   * Which Secrets the operator process's credential resources read, told of every Secret write as
   * the operator's referenced-Secret watch tells it; new after a restart.
   */
  references = new SecretReferences();
  accountInformer = new FakeInformer<AccountObj>();
  namespaceInformer = new FakeInformer<NamespaceObj>();
  rcInformer = new FakeInformer<RcObj>();
  crcInformer = new FakeInformer<CrcObj>();
  policyInformer = new FakeInformer<PolicyObj>(isManagedPolicy);

  /** A restarted operator: every informer is new and relisted from the stores. */
  restart(): void {
    this.secretInformer = new FakeInformer(isManaged);
    this.references = new SecretReferences();
    this.accountInformer = new FakeInformer();
    this.namespaceInformer = new FakeInformer();
    this.rcInformer = new FakeInformer();
    this.crcInformer = new FakeInformer();
    this.policyInformer = new FakeInformer(isManagedPolicy);
    this.policyInformer.relist(this.policies.items.values());
    this.secretInformer.relist(this.secrets.items.values());
    this.accountInformer.relist(this.accounts.items.values());
    this.namespaceInformer.relist(this.namespaces.items.values());
    this.rcInformer.relist(this.registryCredentials.items.values());
    this.crcInformer.relist(this.clusterCredentials.items.values());
  }

  /** Hands a stored Secret to the Secret informer and the references, as their watches would. */
  private secretStored(stored: SecretObj): void {
    this.secretInformer.upsert(stored);
    this.references.observe(
      stored.metadata.namespace as string,
      stored.metadata.name as string,
      stored.metadata.resourceVersion as string,
    );
  }

  private secretRemoved(removed: SecretObj): void {
    this.secretInformer.remove(removed);
    this.references.observe(removed.metadata.namespace as string, removed.metadata.name as string, null);
  }

  /** Deletes a Secret as someone other than the operator would. */
  deleteForeignSecret(namespace: string, name: string): void {
    const removed = this.secrets.delete(namespace, name);
    if (removed) this.secretRemoved(removed);
  }

  addNamespace(name: string, labels: Record<string, string> = {}): V1Namespace {
    const namespace = this.namespaces.put({
      metadata: { name, labels: { "kubernetes.io/metadata.name": name, ...labels } },
    } as NamespaceObj);
    this.namespaceInformer.upsert(namespace);
    return namespace;
  }

  addServiceAccount(namespace: string, name: string, labels: Record<string, string> = {}): V1ServiceAccount {
    const account = this.accounts.put({ metadata: { name, namespace, labels } } as AccountObj);
    this.accountInformer.upsert(account);
    return account;
  }

  /** A Secret written by someone other than the operator (a tenant, another tool). */
  putForeignSecret(secret: V1Secret): V1Secret {
    const stored = this.secrets.put(secret as SecretObj);
    this.secretStored(stored);
    return stored;
  }

  /** Creates or updates a RegistryCredential as a user would (generation moves with the spec). */
  applyRegistryCredential(rc: RegistryCredential): RegistryCredential {
    const current = this.registryCredentials.get(rc.metadata.namespace, rc.metadata.name as string);
    const stored = this.registryCredentials.put(this.asUserUpdate(rc, current) as RcObj);
    this.rcInformer.upsert(stored);
    return stored;
  }

  applyClusterCredential(crc: ClusterRegistryCredential): ClusterRegistryCredential {
    const current = this.clusterCredentials.get(undefined, crc.metadata.name as string);
    const stored = this.clusterCredentials.put(this.asUserUpdate(crc, current) as CrcObj);
    this.crcInformer.upsert(stored);
    return stored;
  }

  /** Marks the resource deleted: with finalizers it stays, with deletionTimestamp; without, it goes. */
  deleteRegistryCredential(namespace: string, name: string): void {
    const current = this.registryCredentials.get(namespace, name);
    if (!current) return;
    if (current.metadata.finalizers?.length) {
      const stored = this.registryCredentials.put({
        ...current,
        metadata: { ...current.metadata, deletionTimestamp: new Date("2030-01-01T00:00:00Z") },
      });
      this.rcInformer.upsert(stored);
    } else {
      this.registryCredentials.delete(namespace, name);
      this.rcInformer.remove(current);
    }
  }

  deleteClusterCredential(name: string): void {
    const current = this.clusterCredentials.get(undefined, name);
    if (!current) return;
    if (current.metadata.finalizers?.length) {
      const stored = this.clusterCredentials.put({
        ...current,
        metadata: { ...current.metadata, deletionTimestamp: new Date("2030-01-01T00:00:00Z") },
      });
      this.crcInformer.upsert(stored);
    } else {
      this.clusterCredentials.delete(undefined, name);
      this.crcInformer.remove(current);
    }
  }

  /** Removes a finalizer by hand (kubectl patch), which lets the apiserver delete a deleting object. */
  stripFinalizers(
    kind: "RegistryCredential" | "ClusterRegistryCredential",
    namespace: string | undefined,
    name: string,
  ): void {
    const store = kind === "RegistryCredential" ? this.registryCredentials : this.clusterCredentials;
    const informer = (kind === "RegistryCredential"
      ? this.rcInformer
      : this.crcInformer) as unknown as FakeInformer<Obj>;
    const current = store.get(namespace, name);
    if (!current) return;
    store.delete(namespace, name);
    informer.remove(current);
  }

  private asUserUpdate<T extends RcObj | CrcObj>(
    next: T | RegistryCredential | ClusterRegistryCredential,
    current: T | undefined,
  ): T {
    const changed = !current || JSON.stringify(current.spec) !== JSON.stringify(next.spec);
    return {
      ...structuredClone(next),
      metadata: {
        ...(current?.metadata ?? {}),
        ...structuredClone(next.metadata),
        generation: (current?.metadata.generation ?? 0) + (changed ? 1 : 0),
        ...(current?.metadata.uid ? { uid: current.metadata.uid } : {}),
        ...(current?.metadata.finalizers ? { finalizers: current.metadata.finalizers } : {}),
      },
      ...(current && "status" in current && current.status ? { status: current.status } : {}),
    } as T;
  }

  private write(verb: string, kind: string, key: string): void {
    const refusal = this.refusedKinds.get(kind);
    if (refusal) throw refusal;
    this.writes.push(`${verb} ${kind} ${key}`);
  }

  /** From now on, every write of `kind` fails with `code` and `message`, as an admission webhook or RBAC would refuse it. */
  refuseWrites(kind: string, code: number, reason: string, message: string): void {
    this.refusedKinds.set(kind, status(code, reason, message));
  }

  /** The CoreV1Api slice the credential pipeline uses (its KubePort), plus readNamespace for admission lookups. */
  core(): KubePort["core"] & Pick<CoreV1Api, "readNamespace"> {
    const cluster = this;
    const api = {
      async readNamespacedSecret({ namespace, name }: { namespace: string; name: string }) {
        const secret = cluster.secrets.get(namespace, name);
        if (!secret) throw notFound(`secrets "${name}"`);
        return secret;
      },
      async createNamespacedSecret({ namespace, body }: { namespace: string; body: V1Secret }) {
        const name = body.metadata?.name as string;
        if (cluster.secrets.get(namespace, name)) throw conflict(`secrets "${name}" already exists`);
        cluster.write("create", "Secret", `${namespace}/${name}`);
        const stored = cluster.secrets.put({
          ...body,
          metadata: { ...body.metadata, namespace },
        } as SecretObj);
        cluster.secretStored(stored);
        return stored;
      },
      async replaceNamespacedSecret({
        namespace,
        name,
        body,
      }: {
        namespace: string;
        name: string;
        body: V1Secret;
      }) {
        const current = cluster.secrets.get(namespace, name);
        if (!current) throw notFound(`secrets "${name}"`);
        if (
          body.metadata?.resourceVersion &&
          body.metadata.resourceVersion !== current.metadata.resourceVersion
        )
          throw conflict(`Operation cannot be fulfilled on secrets "${name}": the object has been modified`);
        cluster.write("replace", "Secret", `${namespace}/${name}`);
        const stored = cluster.secrets.put({
          ...body,
          metadata: { ...body.metadata, namespace, name, uid: current.metadata.uid },
        } as SecretObj);
        cluster.secretStored(stored);
        return stored;
      },
      async deleteNamespacedSecret({
        namespace,
        name,
        body,
      }: {
        namespace: string;
        name: string;
        body?: { preconditions?: { uid?: string; resourceVersion?: string } };
      }) {
        const current = cluster.secrets.get(namespace, name);
        if (!current) throw notFound(`secrets "${name}"`);
        const pre = body?.preconditions;
        if (
          (pre?.uid && pre.uid !== current.metadata.uid) ||
          (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion)
        )
          throw conflict(`Precondition failed for secrets "${name}"`);
        cluster.write("delete", "Secret", `${namespace}/${name}`);
        cluster.secrets.delete(namespace, name);
        cluster.secretRemoved(current);
        return {};
      },
      async readNamespacedServiceAccount({ namespace, name }: { namespace: string; name: string }) {
        const account = cluster.accounts.get(namespace, name);
        if (!account) throw notFound(`serviceaccounts "${name}"`);
        return account;
      },
      async createNamespacedServiceAccount({
        namespace,
        body,
      }: {
        namespace: string;
        body: V1ServiceAccount;
      }) {
        const name = body.metadata?.name as string;
        if (cluster.accounts.get(namespace, name)) throw conflict(`serviceaccounts "${name}" already exists`);
        cluster.write("create", "ServiceAccount", `${namespace}/${name}`);
        const stored = cluster.accounts.put({
          ...body,
          metadata: { ...body.metadata, namespace },
        } as AccountObj);
        cluster.accountInformer.upsert(stored);
        return stored;
      },
      async patchNamespacedServiceAccount({
        namespace,
        name,
        body,
      }: {
        namespace: string;
        name: string;
        body: {
          metadata?: { annotations?: Record<string, string | null>; resourceVersion?: string };
          imagePullSecrets?: { name: string }[];
        };
      }) {
        const current = cluster.accounts.get(namespace, name);
        if (!current) throw notFound(`serviceaccounts "${name}"`);
        if (
          body.metadata?.resourceVersion &&
          body.metadata.resourceVersion !== current.metadata.resourceVersion
        )
          throw conflict(
            `Operation cannot be fulfilled on serviceaccounts "${name}": the object has been modified`,
          );
        const annotations = { ...current.metadata.annotations };
        for (const [k, v] of Object.entries(body.metadata?.annotations ?? {})) {
          if (v === null) delete annotations[k];
          else annotations[k] = v;
        }
        cluster.write("patch", "ServiceAccount", `${namespace}/${name}`);
        const stored = cluster.accounts.put({
          ...current,
          metadata: { ...current.metadata, annotations },
          ...(body.imagePullSecrets ? { imagePullSecrets: body.imagePullSecrets } : {}),
        });
        cluster.accountInformer.upsert(stored);
        return stored;
      },
      async createNamespacedServiceAccountToken({
        namespace,
        name,
        body,
      }: {
        namespace: string;
        name: string;
        body: { spec: { audiences: string[] } };
      }) {
        if (!cluster.accounts.get(namespace, name)) throw notFound(`serviceaccounts "${name}"`);
        cluster.tokenRequests.push(`${namespace}/${name} ${body.spec.audiences.join(",")}`);
        return { status: { token: `kubernetes-token-for-${namespace}-${name}` } };
      },
      async readNamespace({ name }: { name: string }) {
        const namespace = cluster.namespaces.get(undefined, name);
        if (!namespace) throw notFound(`namespaces "${name}"`);
        return namespace;
      },
      async createNamespacedEvent({
        namespace,
        body,
      }: {
        namespace: string;
        body: {
          type: string;
          reason: string;
          message: string;
          involvedObject: { kind: string; name: string };
        };
      }) {
        cluster.events.push({
          namespace,
          type: body.type,
          reason: body.reason,
          message: body.message,
          involved: `${body.involvedObject.kind}/${body.involvedObject.name}`,
        });
        return body;
      },
    };
    return api as unknown as KubePort["core"] & Pick<CoreV1Api, "readNamespace">;
  }

  /** The CustomObjectsApi slice the operator uses: merge patches of finalizers and of status. */
  objects(): CredentialObjectsApi {
    const patch = (
      kind: "RegistryCredential" | "ClusterRegistryCredential",
      namespace: string | undefined,
      name: string,
      body: { metadata?: { finalizers?: string[] }; status?: Record<string, unknown> },
      subresource: boolean,
    ) => {
      const store = (
        kind === "RegistryCredential" ? this.registryCredentials : this.clusterCredentials
      ) as Store<Obj & { status?: Record<string, unknown> }>;
      const informer = (kind === "RegistryCredential"
        ? this.rcInformer
        : this.crcInformer) as unknown as FakeInformer<Obj>;
      const current = store.get(namespace, name);
      if (!current) throw notFound(`${kind} "${name}"`);
      const next = structuredClone(current);
      if (subresource) {
        const merged = { ...(next.status ?? {}) };
        for (const [k, v] of Object.entries(body.status ?? {})) {
          if (v === null) delete merged[k];
          else merged[k] = v;
        }
        next.status = merged;
      } else if (body.metadata && "finalizers" in body.metadata) {
        next.metadata.finalizers = body.metadata.finalizers ?? [];
      }
      this.write(subresource ? "patch-status" : "patch", kind, store.key(namespace, name));
      if (!subresource && next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
        store.delete(namespace, name);
        informer.remove(next);
        return next;
      }
      const stored = store.put(next);
      informer.upsert(stored);
      return stored;
    };
    const api = {
      patchNamespacedCustomObject: async (p: { namespace: string; name: string; body: never }) =>
        patch("RegistryCredential", p.namespace, p.name, p.body, false),
      patchNamespacedCustomObjectStatus: async (p: { namespace: string; name: string; body: never }) =>
        patch("RegistryCredential", p.namespace, p.name, p.body, true),
      patchClusterCustomObject: async (p: { name: string; body: never }) =>
        patch("ClusterRegistryCredential", undefined, p.name, p.body, false),
      patchClusterCustomObjectStatus: async (p: { name: string; body: never }) =>
        patch("ClusterRegistryCredential", undefined, p.name, p.body, true),
    };
    return api as unknown as CredentialObjectsApi;
  }

  /** The AdmissionregistrationV1Api slice for MutatingAdmissionPolicies and their bindings. */
  admission(): AdmissionregistrationV1Api {
    const cluster = this;
    const api = {
      async listMutatingAdmissionPolicy({ labelSelector }: { labelSelector?: string } = {}) {
        return {
          items: [...cluster.policies.items.values()]
            .filter((p) => matchesLabels(p, labelSelector))
            .map((p) => structuredClone(p)),
        };
      },
      async readMutatingAdmissionPolicy({ name }: { name: string }) {
        const policy = cluster.policies.get(undefined, name);
        if (!policy) throw notFound(`mutatingadmissionpolicies "${name}"`);
        return policy;
      },
      async createMutatingAdmissionPolicy({ body }: { body: V1MutatingAdmissionPolicy }) {
        const name = body.metadata?.name as string;
        if (cluster.policies.get(undefined, name))
          throw conflict(`mutatingadmissionpolicies "${name}" already exists`);
        cluster.write("create", "MutatingAdmissionPolicy", name);
        const stored = cluster.policies.put(body as PolicyObj);
        cluster.policyInformer.upsert(stored);
        return stored;
      },
      async replaceMutatingAdmissionPolicy({
        name,
        body,
      }: {
        name: string;
        body: V1MutatingAdmissionPolicy;
      }) {
        if (!cluster.policies.get(undefined, name)) throw notFound(`mutatingadmissionpolicies "${name}"`);
        cluster.write("replace", "MutatingAdmissionPolicy", name);
        const stored = cluster.policies.put(body as PolicyObj);
        cluster.policyInformer.upsert(stored);
        return stored;
      },
      async deleteMutatingAdmissionPolicy({ name }: { name: string }) {
        if (!cluster.policies.get(undefined, name)) throw notFound(`mutatingadmissionpolicies "${name}"`);
        cluster.write("delete", "MutatingAdmissionPolicy", name);
        const removed = cluster.policies.delete(undefined, name);
        if (removed) cluster.policyInformer.remove(removed);
        return {};
      },
      async listMutatingAdmissionPolicyBinding({ labelSelector }: { labelSelector?: string } = {}) {
        return {
          items: [...cluster.bindings.items.values()]
            .filter((b) => matchesLabels(b, labelSelector))
            .map((b) => structuredClone(b)),
        };
      },
      async createMutatingAdmissionPolicyBinding({ body }: { body: V1MutatingAdmissionPolicyBinding }) {
        const name = body.metadata?.name as string;
        if (cluster.bindings.get(undefined, name))
          throw conflict(`mutatingadmissionpolicybindings "${name}" already exists`);
        cluster.write("create", "MutatingAdmissionPolicyBinding", name);
        return cluster.bindings.put(body as BindingObj);
      },
      async replaceMutatingAdmissionPolicyBinding({
        name,
        body,
      }: {
        name: string;
        body: V1MutatingAdmissionPolicyBinding;
      }) {
        if (!cluster.bindings.get(undefined, name))
          throw notFound(`mutatingadmissionpolicybindings "${name}"`);
        cluster.write("replace", "MutatingAdmissionPolicyBinding", name);
        return cluster.bindings.put(body as BindingObj);
      },
      async deleteMutatingAdmissionPolicyBinding({ name }: { name: string }) {
        if (!cluster.bindings.get(undefined, name))
          throw notFound(`mutatingadmissionpolicybindings "${name}"`);
        cluster.write("delete", "MutatingAdmissionPolicyBinding", name);
        cluster.bindings.delete(undefined, name);
        return {};
      },
    };
    return api as unknown as AdmissionregistrationV1Api;
  }
}

/** The logins of a managed Secret's .dockerconfigjson, by host. */
export function authsOf(
  secret: V1Secret | undefined,
): Record<string, { username: string; password: string }> {
  const raw = secret?.data?.[".dockerconfigjson"];
  if (!raw) return {};
  return (
    JSON.parse(Buffer.from(raw, "base64").toString("utf8")) as {
      auths: Record<string, { username: string; password: string }>;
    }
  ).auths;
}
