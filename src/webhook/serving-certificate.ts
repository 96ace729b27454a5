import { createPrivateKey, X509Certificate } from "node:crypto";
import type { CoreV1Api, V1OwnerReference, V1Secret } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { isNotFound, statusCode } from "../kube/errors.js";
import { withOwnerReference } from "../kube/owner-references.js";
import { managedByLabel, managedByValue } from "../secrets/ownership.js";
import type { TlsMaterial } from "./rotating-secure-context.js";
import { createSelfSignedServingCertificate } from "./self-signed-certificate.js";

const defaultServingCertificateValidityMs = 365 * 24 * 3600 * 1000;
/** Most CA certificates kept in the trust bundle (the current one plus recent, unexpired predecessors). */
const maxBundledCas = 3;
const maxWriteAttempts = 5;

export interface ServingCertificateOptions {
  core: CoreV1Api;
  /** The operator's namespace, where the Secret lives. */
  namespace: string;
  /** The Secret (type kubernetes.io/tls, plus ca.crt) that every replica shares. */
  secretName: string;
  /** DNS subjectAltNames the certificate must carry, e.g. "<service>.<namespace>.svc". */
  dnsNames: readonly string[];
  /** IP subjectAltNames the certificate must carry, e.g. "127.0.0.1". */
  ipAddresses?: readonly string[];
  /**
   * The Secret's owner (the chart's ClusterRole), so that deleting the release deletes it; looked
   * up on every check, so an owner recreated with a new uid is followed. Its rejection fails the check.
   */
  owner?: () => Promise<V1OwnerReference>;
  /** Validity of a new certificate; default one year. It is replaced once less than 1/3 remains. */
  validityMs?: number;
  /**
   * Awaited whenever this manager is about to serve a certificate it did not serve before (the first
   * one included), with the new trust bundle: push `caPem` into the webhook configuration here.
   * While it throws, ensure() throws and the previous certificate keeps being served; because the
   * bundle keeps the previous CA, the apiserver trusts both old and new certificates meanwhile.
   */
  beforeServing?: (certificate: ServingCertificate) => Promise<void>;
  logger?: Logger;
  /** Clock, for tests. */
  now?: () => Date;
}

export interface ServingCertificate extends TlsMaterial {
  /**
   * PEM bundle of the CAs to trust: the one that signed certPem first, then earlier ones that have
   * not expired (so replicas still serving the previous certificate stay trusted). The caBundle.
   */
  caPem: string;
  notBefore: Date;
  notAfter: Date;
}

/**
 * Owns the webhook's serving certificate, stored in one Secret so that every replica serves the same
 * certificate and the webhook configuration needs one caBundle.
 *
 * ensure() reuses the stored certificate while it is well-formed, matches its key, is signed by a CA
 * in the bundle, carries every requested name, and more than 1/3 of its validity remains; otherwise
 * it creates a new CA and certificate and writes them, with a precondition on the Secret's
 * resourceVersion. Replicas racing to create or rotate resolve through 409 Conflict: the loser reads
 * and uses the winner's certificate. A Secret of that name not labelled as this operator's is never
 * overwritten (ensure() throws).
 *
 * Replicas that disagree on the names (during a rollout that changes them) would each replace the
 * other's certificate; change names together with the Secret name.
 */
export class ServingCertificateManager {
  private served: ServingCertificate | undefined;
  private running: Promise<ServingCertificate> | undefined;
  private readonly validityMs: number;
  private readonly now: () => Date;

  constructor(private readonly options: ServingCertificateOptions) {
    this.validityMs = options.validityMs ?? defaultServingCertificateValidityMs;
    this.now = options.now ?? (() => new Date());
    if (options.dnsNames.length + (options.ipAddresses?.length ?? 0) === 0) {
      throw new Error("the serving certificate needs at least one DNS name or IP address");
    }
  }

  /**
   * Makes sure a valid certificate is stored and served, as described on the class; resolves with
   * the one now served. Concurrent calls share one run. Throws ApiException on API failures.
   */
  ensure(): Promise<ServingCertificate> {
    this.running ??= this.ensureOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** The certificate being served; throws before the first successful ensure(). */
  current(): ServingCertificate {
    if (!this.served) throw new Error("no serving certificate yet: call ensure() first");
    return this.served;
  }

  /** For startAdmissionServer's `tls` option: the served certificate and key. */
  readonly tls = (): TlsMaterial => {
    const { certPem, keyPem } = this.current();
    return { certPem, keyPem };
  };

  private async ensureOnce(): Promise<ServingCertificate> {
    const stored = await this.ensureStored();
    if (this.served?.certPem !== stored.certPem || this.served.caPem !== stored.caPem) {
      await this.options.beforeServing?.(stored);
      this.served = stored;
    }
    return stored;
  }

  private async ensureStored(): Promise<ServingCertificate> {
    const { core, namespace, secretName: name } = this.options;
    const owner = await this.options.owner?.();
    for (let attempt = 1; ; attempt++) {
      const secret = await readSecret(core, namespace, name);
      if (secret && secret.metadata?.labels?.[managedByLabel] !== managedByValue) {
        throw new Error(
          `Secret ${namespace}/${name} exists but is not labelled ${managedByLabel}=${managedByValue}; refusing to overwrite it`,
        );
      }
      const existing = secret ? parseStored(secret) : undefined;
      const problem = existing ? this.problemWith(existing) : "no certificate is stored";
      if (secret && existing && !problem) {
        if (
          owner &&
          withOwnerReference(secret.metadata?.ownerReferences, owner) !== secret.metadata?.ownerReferences
        ) {
          // Written before it had this owner (an earlier release, or a recreated owner): set it,
          // keeping the certificate.
          const owned = await core
            .replaceNamespacedSecret({ namespace, name, body: this.secretFor(existing, secret, owner) })
            .then(() => true)
            .catch((error: unknown) => {
              const code = statusCode(error);
              if ((code !== 409 && code !== 404) || attempt >= maxWriteAttempts) throw error;
              return false;
            });
          if (!owned) continue;
        }
        return existing;
      }

      const next = await this.issue(existing);
      try {
        if (secret) {
          await core.replaceNamespacedSecret({ namespace, name, body: this.secretFor(next, secret, owner) });
        } else {
          await core.createNamespacedSecret({ namespace, body: this.secretFor(next, undefined, owner) });
        }
        this.options.logger?.info(
          { secret: `${namespace}/${name}`, reason: problem, notAfter: next.notAfter.toISOString() },
          "wrote a new webhook serving certificate",
        );
        return next;
      } catch (error) {
        const code = statusCode(error);
        // 409: another replica created or rotated it first; use theirs (re-validated) on the next pass.
        if ((code !== 409 && code !== 404) || attempt >= maxWriteAttempts) throw error;
      }
    }
  }

  /** Why `stored` must be replaced, or undefined when it can be served as it is. */
  private problemWith(stored: ServingCertificate): string | undefined {
    try {
      const cert = new X509Certificate(stored.certPem);
      if (!cert.checkPrivateKey(createPrivateKey(stored.keyPem)))
        return "the key does not match the certificate";
      const now = this.now().getTime();
      const from = cert.validFromDate.getTime();
      const to = cert.validToDate.getTime();
      if (now < from || now >= to) return "the certificate is not valid now";
      if (to - now < (to - from) / 3) return "less than a third of the certificate's validity remains";
      for (const dns of this.options.dnsNames) {
        if (cert.checkHost(dns, { subject: "never", wildcards: false }) !== dns)
          return `it lacks DNS name ${dns}`;
      }
      for (const ip of this.options.ipAddresses ?? []) {
        if (cert.checkIP(ip) === undefined) return `it lacks IP address ${ip}`;
      }
      const signed = splitPem(stored.caPem).some((pem) => {
        const ca = new X509Certificate(pem);
        return ca.ca && ca.validToDate.getTime() > now && cert.checkIssued(ca) && cert.verify(ca.publicKey);
      });
      return signed ? undefined : "no valid CA in ca.crt signed the certificate";
    } catch (error) {
      return `the stored certificate cannot be parsed (${error instanceof Error ? error.message : String(error)})`;
    }
  }

  /** A new certificate whose bundle keeps the unexpired CAs of `previous`. */
  private async issue(previous: ServingCertificate | undefined): Promise<ServingCertificate> {
    const now = this.now();
    const created = await createSelfSignedServingCertificate({
      dnsNames: this.options.dnsNames,
      ipAddresses: this.options.ipAddresses ?? [],
      validityMs: this.validityMs,
      now,
    });
    const kept = splitPem(previous?.caPem ?? "").filter((pem) => {
      try {
        return new X509Certificate(pem).validToDate.getTime() > now.getTime();
      } catch {
        return false;
      }
    });
    const bundle = [...new Set([created.caCertPem, ...kept].map(normalizePem))].slice(0, maxBundledCas);
    const cert = new X509Certificate(created.certPem);
    return {
      certPem: created.certPem,
      keyPem: created.keyPem,
      caPem: bundle.join(""),
      notBefore: cert.validFromDate,
      notAfter: cert.validToDate,
    };
  }

  private secretFor(certificate: ServingCertificate, current?: V1Secret, owner?: V1OwnerReference): V1Secret {
    const ownerReferences = owner
      ? withOwnerReference(current?.metadata?.ownerReferences, owner)
      : current?.metadata?.ownerReferences;
    return {
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/tls",
      metadata: {
        ...(current?.metadata ?? {}),
        name: this.options.secretName,
        namespace: this.options.namespace,
        labels: { ...(current?.metadata?.labels ?? {}), [managedByLabel]: managedByValue },
        ...(ownerReferences ? { ownerReferences } : {}),
      },
      data: {
        "tls.crt": Buffer.from(certificate.certPem).toString("base64"),
        "tls.key": Buffer.from(certificate.keyPem).toString("base64"),
        "ca.crt": Buffer.from(certificate.caPem).toString("base64"),
      },
    };
  }
}

async function readSecret(core: CoreV1Api, namespace: string, name: string): Promise<V1Secret | undefined> {
  try {
    return await core.readNamespacedSecret({ namespace, name });
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The certificate stored in a Secret, or undefined when a key is missing or it does not parse. */
function parseStored(secret: V1Secret): ServingCertificate | undefined {
  const text = (key: string) => {
    const value = secret.data?.[key];
    return value ? Buffer.from(value, "base64").toString("utf8") : undefined;
  };
  const certPem = text("tls.crt");
  const keyPem = text("tls.key");
  const caPem = text("ca.crt");
  if (!certPem || !keyPem || !caPem) return undefined;
  try {
    const cert = new X509Certificate(certPem);
    return { certPem, keyPem, caPem, notBefore: cert.validFromDate, notAfter: cert.validToDate };
  } catch {
    return undefined;
  }
}

const pemBlock = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The CERTIFICATE blocks of a PEM bundle, each ending with a newline. */
function splitPem(bundle: string): string[] {
  return (bundle.match(pemBlock) ?? []).map(normalizePem);
}

function normalizePem(pem: string): string {
  return `${pem.trim()}\n`;
}
