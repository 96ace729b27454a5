import { ApiException, type V1Lease } from "@kubernetes/client-node";
import type { LeaseApi } from "../../../src/leader/lease-elector.js";

function apiError(code: number, message: string): ApiException<string> {
  return new ApiException(code, message, JSON.stringify({ message }), {});
}

/**
 * An in-memory Lease store with the apiserver's optimistic concurrency: resourceVersion bumps on
 * every write, and a replace naming another resourceVersion fails with 409.
 */
export class FakeLeaseApi implements LeaseApi {
  lease: V1Lease | undefined;
  private version = 0;
  /** When set, every call rejects with this HTTP status (e.g. 500: apiserver unreachable). */
  failWith: number | undefined;
  /** Called before a replace is applied; lets a test change the Lease between read and write. */
  beforeReplace: (() => void) | undefined;
  readonly calls: string[] = [];

  private check(call: string): void {
    this.calls.push(call);
    if (this.failWith !== undefined) throw apiError(this.failWith, "injected failure");
  }

  /** Stores a Lease as another writer would, bumping the resourceVersion. */
  put(spec: V1Lease["spec"]): void {
    this.version++;
    this.lease = {
      metadata: { name: "lease", namespace: "ns", resourceVersion: String(this.version) },
      spec: JSON.parse(JSON.stringify(spec)),
    };
  }

  // The apiserver answers with JSON, so times come back as strings; this fake does the same.
  private stored(body: V1Lease): V1Lease {
    this.version++;
    const copy = JSON.parse(JSON.stringify(body)) as V1Lease;
    copy.metadata = { ...copy.metadata, resourceVersion: String(this.version) };
    this.lease = copy;
    return JSON.parse(JSON.stringify(copy));
  }

  async readNamespacedLease(): Promise<V1Lease> {
    this.check("read");
    if (!this.lease) throw apiError(404, "not found");
    return JSON.parse(JSON.stringify(this.lease));
  }

  async createNamespacedLease(param: { body: V1Lease }): Promise<V1Lease> {
    this.check("create");
    if (this.lease) throw apiError(409, "already exists");
    return this.stored(param.body);
  }

  async replaceNamespacedLease(param: { body: V1Lease }): Promise<V1Lease> {
    this.check("replace");
    this.beforeReplace?.();
    if (!this.lease) throw apiError(404, "not found");
    if (param.body.metadata?.resourceVersion !== this.lease.metadata?.resourceVersion)
      throw apiError(409, "the object has been modified");
    return this.stored(param.body);
  }
}
