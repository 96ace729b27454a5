// The non-secret identity of a resolved acr source (see ResolvedSource.identity).
import type { AcrSource } from "../../api/v1alpha1.js";

/** The Entra principal a source mints as, as far as it decides the identity. */
export type EntraOrigin =
  | { kind: "ambient" }
  | {
      kind: "serviceAccount";
      namespace: string;
      name: string;
      uid: string;
      tenantId: string;
      clientId: string;
      audience: string;
    }
  | {
      kind: "secret";
      namespace: string;
      name: string;
      uid: string;
      resourceVersion: string;
      tenantId: string;
      clientId: string;
      key: string;
    };

function origin(credential: EntraOrigin): string {
  switch (credential.kind) {
    case "ambient":
      return "ambient";
    case "serviceAccount":
      return `sa:${credential.namespace}/${credential.name}@${credential.uid}|tenant=${credential.tenantId}|client=${credential.clientId}|aud=${credential.audience}`;
    case "secret":
      return `secret:${credential.namespace}/${credential.name}@${credential.uid}:${credential.resourceVersion}|key=${credential.key}|tenant=${credential.tenantId}|client=${credential.clientId}`;
  }
}

/**
 * `acr|<sorted registries>|audience=<audience>[|repositories=<sorted>]|<origin>`: equal for sources
 * that log in as the same principal to the same registries with the same scope; changes with the
 * referenced Secret's content version. Built from names, ids and versions only, never key material.
 */
export function acrIdentity(spec: AcrSource, credential: EntraOrigin): string {
  const parts = [
    "acr",
    [...new Set(spec.registries)].sort().join(","),
    `audience=${spec.tokenAudience ?? "ContainerRegistry"}`,
  ];
  if (spec.repositories?.length)
    parts.push(`repositories=${[...new Set(spec.repositories)].sort().join(",")}`);
  parts.push(origin(credential));
  return parts.join("|");
}
