import { selectorsForSelection } from "../../admission/admission-policy.js";
import { type ClusterRegistryCredential, clusterRegistryCredentialNames } from "../../api/v1alpha1.js";
import { isTargeted } from "../../kube/namespace-selection.js";
import { referenceNamespaceOf } from "../../providers/registry.js";
import type { ControllerContext } from "../credential/context.js";
import type { CredentialKind } from "../credential/credential-kind.js";
import { KubeSourceAccess } from "../credential/source-access.js";

/**
 * A ClusterRegistryCredential: its Secret goes to every namespace it selects, its references
 * resolve in the namespace they name (else the operator's), and it may use the operator's ambient
 * identity (it is written by cluster administrators), but fans out the operator's own Google token
 * only on explicit opt-in, and reads Secrets only in the namespaces the operator's policy allows. Status counts the namespaces and lists the failing ones.
 */
export function clusterRegistryCredentialKind(
  ctx: ControllerContext,
): CredentialKind<ClusterRegistryCredential> {
  const namespaces = ctx.informers.namespaces;
  const credentials = ctx.informers.clusterCredentials;
  if (!namespaces || !credentials)
    throw new Error("ClusterRegistryCredentials need the cluster-wide informers");
  return {
    kind: clusterRegistryCredentialNames.kind,
    plural: clusterRegistryCredentialNames.plural,
    get: ({ name }) => credentials.get(name),
    targets: (crc) =>
      namespaces
        .list()
        .filter((ns) => isTargeted(crc.spec.namespaces, ns))
        .map((ns) => ns.metadata?.name as string)
        .sort(),
    isTarget(crc, namespace) {
      const ns = namespaces.get(namespace);
      return !!ns && isTargeted(crc.spec.namespaces, ns);
    },
    home: () => ctx.operatorNamespace,
    access(_crc, source) {
      const namespace = referenceNamespaceOf(source) ?? ctx.operatorNamespace;
      return new KubeSourceAccess(
        ctx.kube.core,
        namespace,
        { ambientIdentityAllowed: true, ambientAccessTokenAllowed: ctx.ambientAccessTokensAllowed },
        ctx.credentialSecretsAllowed(namespace)
          ? undefined
          : `the operator's policy (--credential-secret-namespaces, chart value credentialSecretNamespaces) lets ClusterRegistryCredentials read Secrets only in the namespaces it lists (by default the operator's own, ${ctx.operatorNamespace}); move the Secret there or have the operator's administrators allow namespace ${namespace}`,
      );
    },
    admissionSelectors: (crc) => selectorsForSelection(crc.spec.namespaces),
    describeTargets(_crc, secretName, { targeted, inSync, failed, failures }) {
      const note = failed > 0 ? `; ${failed} failed (see status.failures)` : "";
      return {
        where: `Secret ${secretName} in ${inSync} of ${targeted} namespaces${note}`,
        status: { namespaces: { targeted, inSync, failed }, failures },
      };
    },
  };
}
