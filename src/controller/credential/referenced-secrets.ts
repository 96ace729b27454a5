import { bindSource } from "../../providers/registry.js";
import type { SecretRef } from "../runtime/secret-references.js";
import type { CredentialKind, CredentialResource } from "./credential-kind.js";

/**
 * The Secrets a resource's sources read (ProviderInfo.referencedSecrets), each in the namespace
 * where that source's references resolve for this kind (CredentialKind.access), so what is watched
 * is exactly what a sync reads. A source without exactly one provider block reads none.
 */
export function referencedSecretsOf<T extends CredentialResource>(
  kind: CredentialKind<T>,
  resource: T,
): SecretRef[] {
  return resource.spec.sources.flatMap((source) => {
    const names = bindSource(source)?.referencedSecrets() ?? [];
    if (names.length === 0) return [];
    const { namespace } = kind.access(resource, source);
    return names.map((name) => ({ namespace, name }));
  });
}
