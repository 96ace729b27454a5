import type { V1ServiceAccount } from "@kubernetes/client-node";
import { statusCode } from "../../kube/errors.js";
import type { ReferenceApi } from "../../kube/ports.js";
import { CredentialError } from "../../providers/errors.js";
import type { ReferencedSecret, SourceAccess } from "../../providers/provider.js";

function translate(error: unknown, what: string): never {
  const code = statusCode(error);
  if (code === undefined) throw error;
  if (code === 404) throw new CredentialError("AuthSecretMissing", `${what} not found`);
  if (code === 403)
    throw new CredentialError(
      "Forbidden",
      `the operator is not allowed to read ${what} (403 from the apiserver)`,
    );
  throw new CredentialError("ProviderError", `reading ${what} failed: HTTP ${code}`);
}

/** What a source may do with the operator's own identity (see SourceAccess). */
export interface AmbientPolicy {
  ambientIdentityAllowed: boolean;
  ambientAccessTokenAllowed: boolean;
}

/** SourceAccess backed by the apiserver: live reads in one namespace, TokenRequest for tokens. */
export class KubeSourceAccess implements SourceAccess {
  readonly ambientIdentityAllowed: boolean;
  readonly ambientAccessTokenAllowed: boolean;

  /**
   * `secretsRefused`, when set, says why the operator's policy forbids this source to read Secrets
   * in `namespace`: every readSecret then throws Forbidden with it, before any apiserver call.
   */
  constructor(
    private readonly core: ReferenceApi,
    readonly namespace: string,
    policy: AmbientPolicy,
    private readonly secretsRefused?: string,
  ) {
    this.ambientIdentityAllowed = policy.ambientIdentityAllowed;
    this.ambientAccessTokenAllowed = policy.ambientAccessTokenAllowed;
  }

  async readSecret(name: string): Promise<ReferencedSecret> {
    if (this.secretsRefused !== undefined)
      throw new CredentialError(
        "Forbidden",
        `Secret ${this.namespace}/${name} may not be read: ${this.secretsRefused}`,
        false,
      );
    try {
      const secret = await this.core.readNamespacedSecret({ name, namespace: this.namespace });
      const meta = secret.metadata;
      return {
        uid: meta?.uid ?? "",
        resourceVersion: meta?.resourceVersion ?? "",
        data: Object.fromEntries(
          Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64")]),
        ),
        ...(secret.type ? { type: secret.type } : {}),
        ...(meta?.labels ? { labels: meta.labels } : {}),
        ...(meta?.annotations ? { annotations: meta.annotations } : {}),
      };
    } catch (error) {
      return translate(error, `Secret ${this.namespace}/${name}`);
    }
  }

  async readServiceAccount(name: string): Promise<V1ServiceAccount> {
    try {
      return await this.core.readNamespacedServiceAccount({ name, namespace: this.namespace });
    } catch (error) {
      return translate(error, `ServiceAccount ${this.namespace}/${name}`);
    }
  }

  async requestServiceAccountToken(
    name: string,
    audience: string,
    expirationSeconds: number,
  ): Promise<string> {
    try {
      const request = await this.core.createNamespacedServiceAccountToken({
        name,
        namespace: this.namespace,
        body: { spec: { audiences: [audience], expirationSeconds } },
      });
      const token = request.status?.token;
      if (!token)
        throw new CredentialError(
          "ProviderError",
          `TokenRequest for ServiceAccount ${this.namespace}/${name} returned no token`,
        );
      return token;
    } catch (error) {
      return translate(error, `ServiceAccount ${this.namespace}/${name}`);
    }
  }
}
