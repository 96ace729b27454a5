import type { V1ServiceAccount } from "@kubernetes/client-node";
import { CredentialError } from "../../../src/providers/errors.js";
import type { ReferencedSecret, SourceAccess } from "../../../src/providers/provider.js";

/**
 * An in-memory SourceAccess for unit tests at the provider seam. Secrets and ServiceAccounts are
 * plain maps; tokens come from `issueToken`. Records every TokenRequest for assertions.
 */
export class FakeSourceAccess implements SourceAccess {
  readonly secrets = new Map<string, ReferencedSecret>();
  readonly serviceAccounts = new Map<string, V1ServiceAccount>();
  readonly tokenRequests: { name: string; audience: string; expirationSeconds: number }[] = [];
  private version = 1;
  /** Defaults to ambientIdentityAllowed, as for a RegistryCredential. */
  ambientAccessTokenAllowed: boolean;

  constructor(
    readonly namespace = "tenant-a",
    readonly ambientIdentityAllowed = true,
    private readonly issueToken: (name: string, audience: string) => string = (name, audience) =>
      `fake-token-for-${name}-${audience}`,
  ) {
    this.ambientAccessTokenAllowed = ambientIdentityAllowed;
  }

  /** Adds or replaces a Secret, giving it a new resourceVersion (its uid stays when it existed). */
  putSecret(name: string, data: Record<string, string>): this {
    const existing = this.secrets.get(name);
    this.secrets.set(name, {
      uid: existing?.uid ?? `uid-${name}`,
      resourceVersion: String(++this.version),
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)])),
    });
    return this;
  }

  putServiceAccount(name: string, annotations: Record<string, string> = {}): this {
    this.serviceAccounts.set(name, {
      metadata: { name, namespace: this.namespace, uid: `uid-sa-${name}`, annotations },
    });
    return this;
  }

  async readSecret(name: string): Promise<ReferencedSecret> {
    const secret = this.secrets.get(name);
    if (!secret) throw new CredentialError("AuthSecretMissing", `Secret ${this.namespace}/${name} not found`);
    return secret;
  }

  async readServiceAccount(name: string): Promise<V1ServiceAccount> {
    const account = this.serviceAccounts.get(name);
    if (!account)
      throw new CredentialError("AuthSecretMissing", `ServiceAccount ${this.namespace}/${name} not found`);
    return account;
  }

  async requestServiceAccountToken(
    name: string,
    audience: string,
    expirationSeconds: number,
  ): Promise<string> {
    await this.readServiceAccount(name);
    this.tokenRequests.push({ name, audience, expirationSeconds });
    return this.issueToken(name, audience);
  }
}
