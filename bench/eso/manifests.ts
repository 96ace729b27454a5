// The ESO objects of the benchmark, as a user fanning an ECR pull Secret out to many namespaces
// writes them: one ClusterGenerator of kind ECRAuthorizationToken, and one ClusterExternalSecret
// that puts an ExternalSecret into every selected namespace, each templating the generator's
// username, password and proxy_endpoint into a kubernetes.io/dockerconfigjson Secret.

export const esoGroup = "external-secrets.io";
export const generatorGroup = "generators.external-secrets.io";
const generatorName = "bench-ecr";
export const cesName = "bench-eso";
/** The Secret ESO writes in each namespace (the operator's is named differently). */
export const esoSecretName = "eso-pull";
/** The keys Secret copied into each namespace when the generator reads its keys from a Secret. */
export const esoKeysSecretName = "eso-aws-keys";
/** The annotation whose change forces every ExternalSecret to refresh (ESO's documented convention). */
export const forceSyncAnnotation = "force-sync";

/** Where the generator's AWS keys come from. */
export type EsoKeys =
  /** No auth in the generator: the controller's own credential chain (its environment), as with IRSA. */
  | "controller"
  /** auth.secretRef: ESO reads the keys from the ExternalSecret's namespace, so each namespace has a copy. */
  | "per-namespace";

export function clusterGenerator(region: string, keys: EsoKeys): object {
  const auth =
    keys === "per-namespace"
      ? {
          auth: {
            secretRef: {
              accessKeyIDSecretRef: { name: esoKeysSecretName, key: "access-key-id" },
              secretAccessKeySecretRef: { name: esoKeysSecretName, key: "secret-access-key" },
            },
          },
        }
      : {};
  return {
    apiVersion: `${generatorGroup}/v1alpha1`,
    kind: "ClusterGenerator",
    metadata: { name: generatorName },
    spec: {
      kind: "ECRAuthorizationToken",
      generator: { ecrAuthorizationTokenSpec: { region, ...auth } },
    },
  };
}

/** The template from ESO's ECR generator documentation. */
const dockerConfigTemplate =
  '{"auths":{"{{ .proxy_endpoint }}":{"username":"{{ .username }}","password":"{{ .password }}",' +
  '"auth":"{{ printf "%s:%s" .username .password | b64enc }}"}}}';

export function clusterExternalSecret(namespaceLabel: string): object {
  return {
    apiVersion: `${esoGroup}/v1`,
    kind: "ClusterExternalSecret",
    metadata: { name: cesName },
    spec: {
      externalSecretName: esoSecretName,
      namespaceSelectors: [{ matchLabels: { [namespaceLabel]: "true" } }],
      externalSecretMetadata: { annotations: { [forceSyncAnnotation]: "0" } },
      externalSecretSpec: {
        refreshInterval: "1h",
        target: {
          name: esoSecretName,
          template: {
            type: "kubernetes.io/dockerconfigjson",
            engineVersion: "v2",
            data: { ".dockerconfigjson": dockerConfigTemplate },
          },
        },
        dataFrom: [
          {
            sourceRef: {
              generatorRef: {
                apiVersion: `${generatorGroup}/v1alpha1`,
                kind: "ClusterGenerator",
                name: generatorName,
              },
            },
          },
        ],
      },
    },
  };
}
