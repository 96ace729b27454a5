// The non-secret identity of a resolved gar source (see ResolvedSource.identity).
import type { GarSource } from "../../api/v1alpha1.js";

/** The credential a source mints with, as far as it decides the identity. */
export type CredentialOrigin =
  | { kind: "ambient" }
  | { kind: "secret"; namespace: string; name: string; key: string; uid: string; resourceVersion: string }
  | { kind: "serviceAccount"; namespace: string; name: string; uid: string; audience: string };

function origin(credential: CredentialOrigin): string {
  switch (credential.kind) {
    case "ambient":
      return "ambient";
    case "secret":
      return `secret:${credential.namespace}/${credential.name}@${credential.uid}:${credential.resourceVersion}|key=${credential.key}`;
    case "serviceAccount":
      return `sa:${credential.namespace}/${credential.name}@${credential.uid}|aud=${credential.audience}`;
  }
}

/**
 * `gar|<sorted hosts>|<origin>[|impersonate=<email>[>delegate,...]]`: equal for sources that mint
 * as the same principal for the same hosts; changes with the referenced Secret's content version.
 * Built from names, uids and versions only, never from key material.
 */
export function garIdentity(spec: GarSource, credential: CredentialOrigin): string {
  const hosts = [...new Set(spec.registries)].sort().join(",");
  const parts = ["gar", hosts, origin(credential)];
  if (spec.impersonate) {
    const delegates = spec.impersonate.delegates ?? [];
    parts.push(
      `impersonate=${spec.impersonate.serviceAccount}${delegates.length > 0 ? `>${delegates.join(",")}` : ""}`,
    );
  }
  return parts.join("|");
}
