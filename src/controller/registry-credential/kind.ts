import { selectorForNamespace } from "../../admission/admission-policy.js";
import { type RegistryCredential, registryCredentialNames } from "../../api/v1alpha1.js";
import type { ControllerContext } from "../credential/context.js";
import type { CredentialKind } from "../credential/credential-kind.js";
import { KubeSourceAccess } from "../credential/source-access.js";

/**
 * A RegistryCredential: its Secret goes to its own namespace only, its references resolve there,
 * and it may use the operator's ambient identity (and hold a Google token of it as is) only where
 * the operator's policy allows that namespace.
 */
export function registryCredentialKind(ctx: ControllerContext): CredentialKind<RegistryCredential> {
  const namespaceOf = (rc: RegistryCredential) => rc.metadata.namespace as string;
  return {
    kind: registryCredentialNames.kind,
    plural: registryCredentialNames.plural,
    get: ({ namespace, name }) => ctx.informers.credentials.get(name, namespace),
    targets: (rc) => [namespaceOf(rc)],
    isTarget: (rc, namespace) => namespace === namespaceOf(rc),
    home: namespaceOf,
    access(rc) {
      const ambient = ctx.ambientIdentityAllowed(namespaceOf(rc));
      return new KubeSourceAccess(ctx.kube.core, namespaceOf(rc), {
        ambientIdentityAllowed: ambient,
        ambientAccessTokenAllowed: ambient,
      });
    },
    admissionSelectors: (rc) => [selectorForNamespace(namespaceOf(rc))],
    describeTargets: (rc, secretName) => ({ where: `Secret ${namespaceOf(rc)}/${secretName}`, status: {} }),
  };
}
