import { createSecureContext, type SecureContext } from "node:tls";

/** A PEM certificate chain and its private key. */
export interface TlsMaterial {
  certPem: string;
  keyPem: string;
}

/**
 * Turns a material source that may change at any time (certificate rotation) into a TLS
 * SecureContext, rebuilding the context only when the PEMs differ from last time.
 *
 * Contract: `read()` is called on every refresh() and should be cheap (return held strings). When it
 * throws, or the new PEMs do not form a valid context, the last good context stays in use and
 * onError is told; the very first refresh (in the constructor) rethrows instead, so a server never
 * starts without a certificate.
 */
export class RotatingSecureContext {
  private certPem = "";
  private keyPem = "";
  private context: SecureContext;
  private failed: string | undefined;

  constructor(
    private readonly read: () => TlsMaterial,
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    const material = read();
    this.context = createSecureContext({ cert: material.certPem, key: material.keyPem });
    this.certPem = material.certPem;
    this.keyPem = material.keyPem;
  }

  /**
   * Re-reads the material. Returns the new PEMs when they changed (and built a valid context),
   * else undefined. The same failing material is reported once, not on every call.
   */
  refresh(): TlsMaterial | undefined {
    let material: TlsMaterial;
    try {
      material = this.read();
    } catch (error) {
      this.report("read", error);
      return undefined;
    }
    if (material.certPem === this.certPem && material.keyPem === this.keyPem) return undefined;
    try {
      this.context = createSecureContext({ cert: material.certPem, key: material.keyPem });
    } catch (error) {
      this.report(material.certPem, error);
      return undefined;
    }
    this.certPem = material.certPem;
    this.keyPem = material.keyPem;
    this.failed = undefined;
    return material;
  }

  /** The PEMs of the current context. */
  material(): TlsMaterial {
    return { certPem: this.certPem, keyPem: this.keyPem };
  }

  /** The context for the current material (after a refresh). */
  current(): SecureContext {
    return this.context;
  }

  private report(key: string, error: unknown): void {
    if (this.failed === key) return;
    this.failed = key;
    this.onError(error);
  }
}
