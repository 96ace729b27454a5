// One operator process over a FakeCluster: its own token cache, metrics and maps, the real providers
// on fake SDK clients, and the sync dependencies of both kinds built the way the controllers build them.
import { pino } from "pino";
import { PodAdmissionSync } from "../../../src/admission/pod-admission.js";
import { WebhookTargets } from "../../../src/admission/pod-admission-targets.js";
import type { ClusterRegistryCredential, RegistryCredential } from "../../../src/api/v1alpha1.js";
import { ClusterRegistryCredentialController } from "../../../src/controller/cluster-registry-credential/controller.js";
import {
  type ClusterSyncDependencies,
  syncClusterRegistryCredential,
} from "../../../src/controller/cluster-registry-credential/sync.js";
import { RegistryCredentialController } from "../../../src/controller/registry-credential/controller.js";
import {
  type SyncDependencies,
  syncRegistryCredential,
} from "../../../src/controller/registry-credential/sync.js";
import { EventRecorder } from "../../../src/controller/runtime/events.js";
import { OperatorMetrics } from "../../../src/metrics/metrics.js";
import type { GoogleClientFactories } from "../../../src/providers/gar/provider.js";
import { createProviders, type Providers } from "../../../src/providers/registry.js";
import { OperatorKey } from "../../../src/security/operator-key.js";
import { TokenCache } from "../../../src/tokens/token-cache.js";
import { FakeAwsClients } from "../../fakes/ecr/fake-aws-clients.js";
import type { FakeCluster } from "../../fakes/kube/fake-cluster.js";

export const silent = pino({ level: "silent" });
export const operatorNamespace = "regcred-system";

/** The key in the operator's key Secret: the same for every process of one cluster, as a Secret is. */
const keys = new WeakMap<FakeCluster, OperatorKey>();
export function operatorKeyOf(cluster: FakeCluster): OperatorKey {
  let key = keys.get(cluster);
  if (!key) {
    key = OperatorKey.ephemeral();
    keys.set(cluster, key);
  }
  return key;
}

const noGoogle: GoogleClientFactories = {
  endpoints: { stsTokenUrl: "https://sts.test", iamCredentialsUrl: "https://iam.test", allowedTokenUris: [] },
  fetch: async () => {
    throw new Error("this test reaches no Google endpoint");
  },
  ambientClient: async () => {
    throw new Error("this test reaches no Google endpoint");
  },
  externalAccountClient: () => {
    throw new Error("this test reaches no Google endpoint");
  },
};

export interface ProcessOptions {
  aws?: FakeAwsClients;
  google?: GoogleClientFactories;
  /** The process's clock; default the real one. */
  now?: () => Date;
  /** Namespaces whose RegistryCredentials may use ambient identity; default the operator namespace. */
  ambientIdentityAllowed?: (namespace: string) => boolean;
  /** Why MutatingAdmissionPolicies cannot be used, when they cannot (default: they can). */
  admissionPoliciesUnavailable?: string;
}

/** A fresh operator process (empty cache, as after a restart) against the cluster's current informers. */
export function operatorProcess(cluster: FakeCluster, options: ProcessOptions = {}) {
  const aws = options.aws ?? new FakeAwsClients();
  const providers: Providers = createProviders({ aws: aws.factories(), google: options.google ?? noGoogle });
  const cache = new TokenCache(options.now);
  const metrics = new OperatorMetrics({ processMetrics: false });
  const core = cluster.core();
  const objects = cluster.objects();
  const admission = cluster.admission();
  const events = new EventRecorder(core, silent, "test", options.now);
  const targets = new WebhookTargets({
    credentials: cluster.rcInformer,
    clusterCredentials: cluster.crcInformer,
    secrets: cluster.secretInformer,
    lookupNamespace: async (name) => cluster.namespaceInformer.get(name),
  });
  const podAdmission = new PodAdmissionSync(
    admission,
    options.admissionPoliciesUnavailable
      ? { available: false, reason: options.admissionPoliciesUnavailable }
      : { available: true, policies: cluster.policyInformer },
  );
  const key = operatorKeyOf(cluster);
  const webhook = { served: true, excludedNamespaces: ["kube-system", operatorNamespace] };
  const now = options.now ?? (() => new Date());
  const plans = new Map();
  const results = new Map();
  // What the sync functions and the controllers of one process share.
  const parts = { providers, cache, events, metrics, logger: silent, podAdmission, key, webhook };
  // Read at call time: the cluster's informers are new after a restart.
  const common = () => ({
    ...parts,
    core,
    objects,
    secrets: cluster.secretInformer,
    serviceAccounts: cluster.accountInformer,
    now,
    random: () => 0.5,
  });
  const rcDeps = (): SyncDependencies => ({
    ...common(),
    credentials: cluster.rcInformer,
    ambientIdentityAllowed: options.ambientIdentityAllowed ?? ((ns) => ns === operatorNamespace),
  });
  const clusterDeps = (): ClusterSyncDependencies => ({
    ...common(),
    clusterCredentials: cluster.crcInformer,
    namespaces: cluster.namespaceInformer,
    operatorNamespace,
    concurrency: 4,
    plans,
    results,
  });
  const shared = { ...parts, clients: { core, objects, admission } as never, concurrency: 4 };
  return {
    /** The RegistryCredential controller over the cluster's informers, as the operator wires it. */
    registryCredentialController: () =>
      new RegistryCredentialController({
        ...shared,
        informers: {
          credentials: cluster.rcInformer,
          secrets: cluster.secretInformer,
          serviceAccounts: cluster.accountInformer,
        },
        ambientIdentityAllowed: options.ambientIdentityAllowed ?? ((ns) => ns === operatorNamespace),
      }),
    clusterCredentialController: () =>
      new ClusterRegistryCredentialController({
        ...shared,
        informers: {
          credentials: cluster.rcInformer,
          clusterCredentials: cluster.crcInformer,
          namespaces: cluster.namespaceInformer,
          secrets: cluster.secretInformer,
          serviceAccounts: cluster.accountInformer,
        },
        operatorNamespace,
        ambientAccessTokensAllowed: false,
      }),
    aws,
    cache,
    metrics,
    targets,
    podAdmission,
    rcDeps,
    clusterDeps,
    /** Syncs a RegistryCredential until it has a finalizer, then once more; resolves the last outcome. */
    async syncRegistryCredential(namespace: string, name: string, failures = 1) {
      const first = await syncRegistryCredential(rcDeps(), namespace, name, failures);
      const rc = cluster.rcInformer.get(name, namespace) as RegistryCredential | undefined;
      return rc && !rc.metadata.deletionTimestamp && first.requeueAfterMs === undefined && !first.failed
        ? syncRegistryCredential(rcDeps(), namespace, name, failures)
        : first;
    },
    async syncClusterCredential(name: string, failures = 1) {
      const first = await syncClusterRegistryCredential(clusterDeps(), name, failures);
      const crc = cluster.crcInformer.get(name) as ClusterRegistryCredential | undefined;
      return crc && !crc.metadata.deletionTimestamp && first.requeueAfterMs === undefined && !first.failed
        ? syncClusterRegistryCredential(clusterDeps(), name, failures)
        : first;
    },
  };
}

export type OperatorProcess = ReturnType<typeof operatorProcess>;
