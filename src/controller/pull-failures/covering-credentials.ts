import { registryOf } from "../../providers/registry-host.js";
import type { CredentialKind, CredentialResource } from "../credential/credential-kind.js";
import { type Credential, credentialOf } from "../credential/credential-kind.js";

/** A credential resource whose Secret, in the pod's namespace, holds a login for the failing host. */
export interface Covering {
  credential: Credential<CredentialResource>;
  kind: CredentialKind<CredentialResource>;
  /** The fingerprint of the identity that minted the host's login (status.sources[].identity); undefined when status names none. */
  identity?: string;
  /** Index into spec.sources of the source writing the host. */
  index: number;
}

/**
 * The resources of `kinds` that target `namespace` and wrote a login for `host`'s registry, by
 * what their status records (status.sources[].hosts, aliases included). Pure over the caches.
 */
export function coveringCredentials(
  kinds: readonly { kind: CredentialKind<CredentialResource>; list: () => readonly CredentialResource[] }[],
  namespace: string,
  host: string,
): Covering[] {
  const registry = registryOf(host);
  return kinds.flatMap(({ kind, list }) =>
    list()
      .filter((resource) => !resource.metadata.deletionTimestamp && kind.isTarget(resource, namespace))
      .flatMap((resource): Covering[] => {
        const source = resource.status?.sources?.find((s) => s.hosts.some((h) => registryOf(h) === registry));
        if (!source) return [];
        const credential = credentialOf(kind, resource);
        return [
          {
            credential,
            kind,
            ...(source.identity ? { identity: source.identity } : {}),
            index: source.index,
          },
        ];
      }),
  );
}
