import { CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import {
  type ClusterRegistryCredential,
  clusterRegistryCredentialNames,
  group,
  type RegistryCredential,
  registryCredentialNames,
  version,
} from "../api/v1alpha1.js";
import { request } from "./errors.js";

const rcResource = `${registryCredentialNames.plural}.${group}`;
const crcResource = `${clusterRegistryCredentialNames.plural}.${group}`;

/** Read-only access to what the CLI inspects; every error names the verb and resource. */
export class ClusterReader {
  private readonly custom: CustomObjectsApi;
  readonly core: CoreV1Api;

  constructor(kc: KubeConfig) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async registryCredentials(namespace: string | undefined): Promise<RegistryCredential[]> {
    const plural = registryCredentialNames.plural;
    const list = (await request({ verb: "list", resource: rcResource, namespace }, () =>
      namespace
        ? this.custom.listNamespacedCustomObject({ group, version, plural, namespace })
        : this.custom.listClusterCustomObject({ group, version, plural }),
    )) as { items: RegistryCredential[] };
    return list.items;
  }

  async registryCredential(namespace: string, name: string): Promise<RegistryCredential> {
    return (await request({ verb: "get", resource: `${rcResource} "${name}"`, namespace }, () =>
      this.custom.getNamespacedCustomObject({
        group,
        version,
        plural: registryCredentialNames.plural,
        namespace,
        name,
      }),
    )) as RegistryCredential;
  }

  async clusterRegistryCredentials(): Promise<ClusterRegistryCredential[]> {
    const list = (await request({ verb: "list", resource: crcResource }, () =>
      this.custom.listClusterCustomObject({ group, version, plural: clusterRegistryCredentialNames.plural }),
    )) as { items: ClusterRegistryCredential[] };
    return list.items;
  }

  async pods(namespace: string | undefined) {
    return (
      await request({ verb: "list", resource: "pods", namespace }, () =>
        namespace ? this.core.listNamespacedPod({ namespace }) : this.core.listPodForAllNamespaces(),
      )
    ).items;
  }

  async secrets(namespace: string | undefined) {
    return (
      await request({ verb: "list", resource: "secrets", namespace }, () =>
        namespace ? this.core.listNamespacedSecret({ namespace }) : this.core.listSecretForAllNamespaces(),
      )
    ).items;
  }

  async serviceAccounts(namespace: string | undefined) {
    return (
      await request({ verb: "list", resource: "serviceaccounts", namespace }, () =>
        namespace
          ? this.core.listNamespacedServiceAccount({ namespace })
          : this.core.listServiceAccountForAllNamespaces(),
      )
    ).items;
  }

  async namespaces(namespace: string | undefined) {
    if (namespace) {
      return [
        await request({ verb: "get", resource: "namespaces", namespace }, () =>
          this.core.readNamespace({ name: namespace }),
        ),
      ];
    }
    return (await request({ verb: "list", resource: "namespaces" }, () => this.core.listNamespace())).items;
  }
}
