// Builders for the objects integration tests create; each takes only what a test cares about.
import {
  ApiException,
  type CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Secret,
} from "@kubernetes/client-node";
import {
  apiVersion,
  type ClusterRegistryCredential,
  type ClusterRegistryCredentialSpec,
  type Condition,
  type CredentialSource,
  clusterRegistryCredentialNames,
  group,
  type RegistryCredential,
  type RegistryCredentialSpec,
  registryCredentialNames,
  version,
} from "../../src/api/v1alpha1.js";
import { waitFor } from "./wait.js";

export const fakeAccessKey = {
  accessKeyId: "AKIAFAKEOPERATOR0001",
  secretAccessKey: "fake-secret-access-key-0001/abcdefghij",
};

export function registryCredential(
  name: string,
  spec: Partial<RegistryCredentialSpec> & { sources: CredentialSource[] },
): RegistryCredential {
  return { apiVersion, kind: registryCredentialNames.kind, metadata: { name }, spec };
}

export function ecrWithStaticKeys(secretName: string, region = "eu-west-1"): CredentialSource {
  return { ecr: { region, auth: { secretRef: { name: secretName } } } };
}

export function awsKeysSecret(name: string, keys = fakeAccessKey): V1Secret {
  return {
    metadata: { name },
    stringData: { AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey },
  };
}

export function clusterRegistryCredential(
  name: string,
  spec: Partial<ClusterRegistryCredentialSpec> &
    Pick<ClusterRegistryCredentialSpec, "sources" | "namespaces">,
): ClusterRegistryCredential {
  return { apiVersion, kind: clusterRegistryCredentialNames.kind, metadata: { name }, spec };
}

/** Typed access to ClusterRegistryCredentials. */
export class ClusterRegistryCredentials {
  private readonly api: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  private params(name?: string) {
    return { group, version, plural: clusterRegistryCredentialNames.plural, ...(name ? { name } : {}) };
  }

  async create(body: ClusterRegistryCredential): Promise<ClusterRegistryCredential> {
    return (await this.api.createClusterCustomObject({
      ...this.params(),
      body,
    })) as ClusterRegistryCredential;
  }

  async get(name: string): Promise<ClusterRegistryCredential | undefined> {
    try {
      return (await this.api.getClusterCustomObject(this.params(name) as never)) as ClusterRegistryCredential;
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    }
  }

  async patchSpec(name: string, spec: Partial<ClusterRegistryCredentialSpec>): Promise<void> {
    await this.api.patchClusterCustomObject(
      { ...this.params(name), body: { spec } } as never,
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
  }

  async delete(name: string): Promise<void> {
    await this.api.deleteClusterCustomObject(this.params(name) as never);
  }

  /** Waits until the resource's status satisfies `accept` (at its current generation) and returns it. */
  async waitFor(
    name: string,
    accept: (crc: ClusterRegistryCredential) => boolean,
    timeoutMs = 60_000,
  ): Promise<ClusterRegistryCredential> {
    let last: ClusterRegistryCredential | undefined;
    await waitFor(
      `ClusterRegistryCredential ${name} to reach the expected state`,
      async () => {
        last = await this.get(name);
        return (
          !!last && (last.status?.observedGeneration ?? 0) >= (last.metadata.generation ?? 0) && accept(last)
        );
      },
      { timeoutMs },
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last status: ${JSON.stringify(last?.status)}`);
    });
    return last as ClusterRegistryCredential;
  }
}

/** Typed access to RegistryCredentials in one namespace. */
export class RegistryCredentials {
  private readonly api: CustomObjectsApi;

  constructor(
    kc: KubeConfig,
    readonly namespace: string,
  ) {
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  private params(name?: string) {
    return {
      group,
      version,
      plural: registryCredentialNames.plural,
      namespace: this.namespace,
      ...(name ? { name } : {}),
    };
  }

  async create(body: RegistryCredential): Promise<RegistryCredential> {
    return (await this.api.createNamespacedCustomObject({ ...this.params(), body })) as RegistryCredential;
  }

  async get(name: string): Promise<RegistryCredential | undefined> {
    try {
      return (await this.api.getNamespacedCustomObject(this.params(name) as never)) as RegistryCredential;
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    }
  }

  async delete(name: string): Promise<void> {
    await this.api.deleteNamespacedCustomObject(this.params(name) as never);
  }

  /** Waits until the resource's Ready condition satisfies `accept` and returns the resource. */
  async waitForReady(
    name: string,
    accept: (ready: Condition, rc: RegistryCredential) => boolean = (ready) => ready.status === "True",
    timeoutMs = 30_000,
  ): Promise<RegistryCredential> {
    let last: RegistryCredential | undefined;
    await waitFor(
      `RegistryCredential ${this.namespace}/${name} to reach the expected Ready state`,
      async () => {
        last = await this.get(name);
        const ready = last?.status?.conditions?.find((c) => c.type === "Ready");
        return (
          !!ready &&
          !!last &&
          (last.status?.observedGeneration ?? 0) >= (last.metadata.generation ?? 0) &&
          accept(ready, last)
        );
      },
      { timeoutMs },
    ).catch((error: Error) => {
      const ready = last?.status?.conditions?.find((c) => c.type === "Ready");
      throw new Error(
        `${error.message}; last Ready: ${ready ? `${ready.status} ${ready.reason}: ${ready.message}` : "none"}`,
      );
    });
    return last as RegistryCredential;
  }
}

/** Reads a Secret, or undefined when it does not exist. */
export async function readSecret(
  core: CoreV1Api,
  namespace: string,
  name: string,
): Promise<V1Secret | undefined> {
  try {
    return await core.readNamespacedSecret({ namespace, name });
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return undefined;
    throw error;
  }
}

/** The decoded .dockerconfigjson of a Secret. */
export function dockerConfigOf(secret: V1Secret): {
  auths: Record<string, { username: string; password: string; auth: string }>;
} {
  const encoded = secret.data?.[".dockerconfigjson"];
  if (!encoded) throw new Error(`Secret ${secret.metadata?.name} has no .dockerconfigjson`);
  return JSON.parse(Buffer.from(encoded, "base64").toString("utf8"));
}
