// ServingCertificateManager against an in-memory stand-in for the three Secret calls it makes; the
// real apiserver behaviour (conflicts, storage) is covered by test/integration/webhook.test.ts.

import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "@jest/globals";
import { ApiException, type CoreV1Api, type V1Secret } from "@kubernetes/client-node";
import {
  type ServingCertificate,
  ServingCertificateManager,
} from "../../../src/webhook/serving-certificate.js";

const namespace = "regcred-system";
const secretName = "webhook-tls";

/** Secrets by name, with resourceVersion preconditions like the apiserver's. */
class FakeSecrets {
  stored: V1Secret | undefined;
  writes = 0;
  /** Runs before the next create/replace lands, to model another replica writing first. */
  beforeNextWrite: (() => void) | undefined;
  private version = 0;

  readonly api = {
    readNamespacedSecret: async (_: { namespace: string; name: string }) => {
      if (!this.stored) throw new ApiException(404, "not found", {}, {});
      return structuredClone(this.stored);
    },
    createNamespacedSecret: async ({ body }: { namespace: string; body: V1Secret }) => {
      this.interfere();
      if (this.stored) throw new ApiException(409, "already exists", {}, {});
      return this.put(body);
    },
    replaceNamespacedSecret: async ({ body }: { namespace: string; name: string; body: V1Secret }) => {
      this.interfere();
      if (!this.stored) throw new ApiException(404, "not found", {}, {});
      if (body.metadata?.resourceVersion !== this.stored.metadata?.resourceVersion) {
        throw new ApiException(409, "conflict", {}, {});
      }
      return this.put(body);
    },
  };

  put(body: V1Secret): V1Secret {
    this.writes++;
    this.stored = structuredClone(body);
    this.stored.metadata = { ...this.stored.metadata, resourceVersion: String(++this.version) };
    return structuredClone(this.stored);
  }

  private interfere(): void {
    const hook = this.beforeNextWrite;
    this.beforeNextWrite = undefined;
    hook?.();
  }
}

function manager(
  secrets: FakeSecrets,
  overrides: Partial<ConstructorParameters<typeof ServingCertificateManager>[0]> = {},
): ServingCertificateManager {
  return new ServingCertificateManager({
    core: secrets.api as unknown as CoreV1Api,
    namespace,
    secretName,
    dnsNames: ["webhook.regcred-system.svc"],
    ipAddresses: ["127.0.0.1"],
    ...overrides,
  });
}

const caCount = (c: ServingCertificate) => c.caPem.match(/BEGIN CERTIFICATE/g)?.length ?? 0;
const day = 86_400_000;

describe("ServingCertificateManager", () => {
  it("creates an ECDSA P-256 certificate with the names, stored as a labelled kubernetes.io/tls Secret", async () => {
    const secrets = new FakeSecrets();
    const served: string[] = [];
    const m = manager(secrets, { beforeServing: async (c) => void served.push(c.certPem) });
    expect(() => m.tls()).toThrow("ensure()");
    const cert = await m.ensure();
    expect(m.tls()).toEqual({ certPem: cert.certPem, keyPem: cert.keyPem });
    expect(served).toEqual([cert.certPem]);

    const x = new X509Certificate(cert.certPem);
    expect(x.checkHost("webhook.regcred-system.svc", { subject: "never" })).toBe(
      "webhook.regcred-system.svc",
    );
    expect(x.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(x.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(x.verify(new X509Certificate(cert.caPem).publicKey)).toBe(true);
    expect(x.ca).toBe(false);

    const stored = secrets.stored;
    expect(stored?.type).toBe("kubernetes.io/tls");
    expect(stored?.metadata?.labels).toEqual({
      "app.kubernetes.io/managed-by": "registry-credential-operator",
    });
    expect(Object.keys(stored?.data ?? {}).sort()).toEqual(["ca.crt", "tls.crt", "tls.key"]);

    // Reused, not rewritten, and beforeServing is not called again for the same certificate.
    expect((await m.ensure()).certPem).toBe(cert.certPem);
    expect((await manager(secrets).ensure()).certPem).toBe(cert.certPem);
    expect(secrets.writes).toBe(1);
    expect(served).toHaveLength(1);
  });

  it("adds its owner to a Secret stored without one, keeping the certificate, and follows a recreated owner", async () => {
    const owner = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      name: "rco",
      uid: "uid-1",
    };
    const secrets = new FakeSecrets();
    const cert = await manager(secrets).ensure();
    expect(secrets.stored?.metadata?.ownerReferences).toBeUndefined();
    let current = owner;
    const owned = manager(secrets, { owner: async () => current });
    expect((await owned.ensure()).certPem).toBe(cert.certPem);
    expect(secrets.stored?.metadata?.ownerReferences).toEqual([owner]);
    expect(secrets.writes).toBe(2);
    await owned.ensure();
    expect(secrets.writes).toBe(2);
    // The owner deleted and created again: the same name under a new uid replaces the old reference.
    current = { ...owner, uid: "uid-2" };
    await owned.ensure();
    expect(secrets.stored?.metadata?.ownerReferences).toEqual([current]);
    expect(secrets.writes).toBe(3);
  });

  it("uses the winner's certificate when another replica creates it first (409)", async () => {
    const secrets = new FakeSecrets();
    const winner = new FakeSecrets();
    const theirs = await manager(winner).ensure();
    secrets.beforeNextWrite = () => secrets.put(winner.stored as V1Secret);
    const ours = await manager(secrets).ensure();
    expect(ours.certPem).toBe(theirs.certPem);
    expect(secrets.writes).toBe(1);
  });

  it("rotates with less than a third of the validity left, keeping the old CA in the bundle", async () => {
    const secrets = new FakeSecrets();
    let now = new Date();
    const m = manager(secrets, { validityMs: 30 * day, now: () => now });
    const first = await m.ensure();

    now = new Date(Date.now() + 19 * day);
    expect((await m.ensure()).certPem).toBe(first.certPem);

    now = new Date(Date.now() + 21 * day);
    const second = await m.ensure();
    expect(second.certPem).not.toBe(first.certPem);
    expect(caCount(second)).toBe(2);
    // The new CA comes first in the bundle.
    expect(new X509Certificate(second.certPem).verify(new X509Certificate(second.caPem).publicKey)).toBe(
      true,
    );
    expect(second.caPem).toContain(first.caPem.trim());
    expect(m.current().certPem).toBe(second.certPem);
  });

  it("replaces a certificate that lacks a requested name, drops expired CAs from the bundle", async () => {
    const secrets = new FakeSecrets();
    const first = await manager(secrets, { validityMs: day }).ensure();
    const renamed = await manager(secrets, { dnsNames: ["other.regcred-system.svc"] }).ensure();
    expect(renamed.certPem).not.toBe(first.certPem);
    expect(caCount(renamed)).toBe(2);

    const later = new Date(Date.now() + 2 * day);
    const expired = await manager(secrets, {
      dnsNames: ["third.regcred-system.svc"],
      now: () => later,
    }).ensure();
    // The first CA (valid one day) has expired by then; the second (one year) is kept.
    expect(caCount(expired)).toBe(2);
    expect(expired.caPem).not.toContain(first.caPem.trim());
  });

  it("replaces an unparsable or mismatched stored certificate", async () => {
    const secrets = new FakeSecrets();
    const first = await manager(secrets).ensure();
    const other = new FakeSecrets();
    const foreign = await manager(other).ensure();
    const stored = secrets.stored as V1Secret;
    stored.data = { ...stored.data, "tls.key": Buffer.from(foreign.keyPem).toString("base64") };
    const fixed = await manager(secrets).ensure();
    expect(fixed.certPem).not.toBe(first.certPem);

    (secrets.stored as V1Secret).data = { "tls.crt": "bm9wZQ==" };
    const again = await manager(secrets).ensure();
    expect(new X509Certificate(again.certPem).checkIP("127.0.0.1")).toBe("127.0.0.1");
  });

  it("refuses to overwrite a Secret it does not manage", async () => {
    const secrets = new FakeSecrets();
    secrets.put({ metadata: { name: secretName, namespace }, type: "kubernetes.io/tls", data: {} });
    await expect(manager(secrets).ensure()).rejects.toThrow("refusing to overwrite");
  });

  it("keeps serving the previous certificate while beforeServing fails", async () => {
    const secrets = new FakeSecrets();
    let now = new Date();
    let fail = false;
    const m = manager(secrets, {
      validityMs: 30 * day,
      now: () => now,
      beforeServing: async () => {
        if (fail) throw new Error("webhook configuration not writable");
      },
    });
    const first = await m.ensure();
    fail = true;
    now = new Date(Date.now() + 25 * day);
    await expect(m.ensure()).rejects.toThrow("not writable");
    expect(m.current().certPem).toBe(first.certPem);
    fail = false;
    const rotated = await m.ensure();
    expect(rotated.certPem).not.toBe(first.certPem);
    expect(m.current().certPem).toBe(rotated.certPem);
  });
});
