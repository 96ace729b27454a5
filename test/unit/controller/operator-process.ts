// One operator process over a FakeCluster: its own token cache, metrics and maps, the real providers
// on fake SDK clients, and the sync dependencies of both kinds built the way the controllers build them.

import { pino } from "pino";
import { PodAdmissionSync } from "../../../src/admission/pod-admission.js";
import { WebhookTargets } from "../../../src/admission/pod-admission-targets.js";
import { ClusterRegistryCredentialController } from "../../../src/controller/cluster-registry-credential/controller.js";
import { clusterRegistryCredentialKind } from "../../../src/controller/cluster-registry-credential/kind.js";
import type { ControllerContext } from "../../../src/controller/credential/context.js";
import { RotationRequests } from "../../../src/controller/credential/rotation.js";
import { syncCredential, syncTarget } from "../../../src/controller/credential/sync-credential.js";
import { TargetState } from "../../../src/controller/credential/targets.js";
import { PullFailureLists } from "../../../src/controller/pull-failures/pull-failure-lists.js";
import { RegistryCredentialController } from "../../../src/controller/registry-credential/controller.js";
import { registryCredentialKind } from "../../../src/controller/registry-credential/kind.js";
import type { Controller } from "../../../src/controller/runtime/controller.js";
import { EventRecorder } from "../../../src/controller/runtime/events.js";
import type { SyncResult } from "../../../src/controller/runtime/work-queue.js";
import { createLogger } from "../../../src/logging/logger.js";
import { OperatorMetrics } from "../../../src/metrics/metrics.js";
import type { AzureClientFactories } from "../../../src/providers/acr/provider.js";
import type { GoogleClientFactories } from "../../../src/providers/gar/provider.js";
import { createProviders, type Providers } from "../../../src/providers/registry.js";
import { OperatorKey } from "../../../src/security/operator-key.js";
import { MintRateLimiter } from "../../../src/tokens/mint-rate-limiter.js";
import { PendingRemints } from "../../../src/tokens/pending-remints.js";
import { TokenCache } from "../../../src/tokens/token-cache.js";
import { type Clock, systemClock } from "../../../src/util/clock.js";
import { LoginVerifier } from "../../../src/verify/login-verifier.js";
import type { RegistryProbe } from "../../../src/verify/registry-probe.js";
import { FakeAwsClients } from "../../fakes/ecr/fake-aws-clients.js";
import type { FakeCluster } from "../../fakes/kube/fake-cluster.js";

const silent = pino({ level: "silent" });
export const operatorNamespace = "regcred-system";

/** The key in the operator's key Secret: the same for every process of one cluster, as a Secret is. */
const keys = new WeakMap<FakeCluster, OperatorKey>();
function operatorKeyOf(cluster: FakeCluster): OperatorKey {
  let key = keys.get(cluster);
  if (!key) {
    key = OperatorKey.ephemeral();
    keys.set(cluster, key);
  }
  return key;
}

const unreachable = () => {
  throw new Error("this test reaches no Azure endpoint");
};
const noAzure: AzureClientFactories = {
  allowedRegistryHosts: ["*.azurecr.io"],
  defaultTenantId: undefined,
  http: unreachable,
  registryUrl: unreachable,
  clientAssertion: unreachable,
  clientSecret: unreachable,
  clientCertificate: unreachable,
  ambient: unreachable,
};

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
  /** Namespaces ClusterRegistryCredentials may read their sources' Secrets from; default the operator namespace. */
  credentialSecretsAllowed?: (namespace: string) => boolean;
  /** Why MutatingAdmissionPolicies cannot be used, when they cannot (default: they can). */
  admissionPoliciesUnavailable?: string;
  /** The deadline of each resolve and mint; default mintSources' own. */
  deadlineMs?: number;
  /** Whether the install may create ServiceAccounts (cluster mode); default true. */
  createsDefaultServiceAccounts?: boolean;
  /** The registry check of the process's LoginVerifier; default none (the operator does not verify). */
  probe?: RegistryProbe;
  /** --verify-refused-remint-interval; default 5 min. */
  refusedRemintMs?: number;
  /** Keeps the syncs' mints under cloud rate limits; default one with no rates (mints never wait). */
  mintLimiter?: MintRateLimiter;
}

/** A fresh operator process (empty cache, as after a restart) against the cluster's current informers. */
export function operatorProcess(cluster: FakeCluster, options: ProcessOptions = {}) {
  /** Every log line of the process, parsed: `msg` plus its fields. */
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: "debug",
    destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const quiet = { failures: 1, logger };
  const aws = options.aws ?? new FakeAwsClients();
  const providers: Providers = createProviders({
    aws: aws.factories(),
    google: options.google ?? noGoogle,
    azure: noAzure,
  });
  const now = options.now;
  const clock: Clock = now ? { ...systemClock, now: () => now().getTime() } : systemClock;
  const cache = new TokenCache(clock);
  const metrics = new OperatorMetrics({ processMetrics: false });
  const core = cluster.core();
  const objects = cluster.objects();
  const admission = cluster.admission();
  const events = new EventRecorder(core, silent, "test", clock);
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
  const stopping = new AbortController();
  const verifier = options.probe ? new LoginVerifier(options.probe, clock, metrics) : undefined;
  const remints = new PendingRemints();
  const mintLimiter = options.mintLimiter ?? new MintRateLimiter(clock, {});
  const rotations = new RotationRequests();
  const pullFailureLists = new PullFailureLists();
  // Read at call time: the cluster's informers are new after a restart.
  const ctx = (): ControllerContext => ({
    kube: { core, objects },
    refusedRemintMs: options.refusedRemintMs ?? 5 * 60_000,
    mintLimiter,
    rotations,
    remints,
    pullFailureLists,
    ...(verifier ? { verifier } : {}),
    informers: {
      credentials: cluster.rcInformer,
      clusterCredentials: cluster.crcInformer,
      namespaces: cluster.namespaceInformer,
      secrets: cluster.secretInformer,
      serviceAccounts: cluster.accountInformer,
    },
    references: cluster.references,
    providers,
    cache,
    events,
    metrics,
    logger,
    podAdmission,
    key: operatorKeyOf(cluster),
    webhook: { served: true, excludedNamespaces: ["kube-system", operatorNamespace] },
    clock,
    random: () => 0.5,
    concurrency: 4,
    operatorNamespace,
    ambientIdentityAllowed: options.ambientIdentityAllowed ?? ((ns) => ns === operatorNamespace),
    ambientAccessTokensAllowed: false,
    credentialSecretsAllowed: options.credentialSecretsAllowed ?? ((ns) => ns === operatorNamespace),
    createsDefaultServiceAccounts: options.createsDefaultServiceAccounts ?? true,
    stopping: stopping.signal,
    ...(options.deadlineMs ? { deadlineMs: options.deadlineMs } : {}),
  });
  const rcState = new TargetState();
  const crcState = new TargetState();
  const controllers: Controller[] = [];
  /** Runs the sync; when that only added the finalizer, runs it once more. Resolves the last result. */
  const syncNew = async (sync: () => Promise<SyncResult>, finalized: () => boolean) => {
    if (finalized()) return sync();
    const first = await sync();
    return finalized() ? sync() : first;
  };
  const rcFinalized = (namespace: string, name: string) =>
    !!cluster.rcInformer.get(name, namespace)?.metadata.finalizers?.length;
  return {
    ctx,
    /** The RegistryCredential controller over the cluster's informers, as the operator wires it. */
    registryCredentialController() {
      const controller = new RegistryCredentialController(ctx());
      controllers.push(controller);
      return controller;
    },
    clusterCredentialController() {
      const controller = new ClusterRegistryCredentialController(ctx());
      controllers.push(controller);
      return controller;
    },
    /** Stops the process as the operator does: abandons syncs in flight, then stops every controller. */
    async stop() {
      stopping.abort();
      await Promise.all(controllers.map((c) => c.stop()));
    },
    aws,
    logs,
    cache,
    metrics,
    targets,
    podAdmission,
    /** The identities pods failing to pull asked to have minted afresh, for every sync of the process. */
    remints,
    /** One sync of a RegistryCredential, as its controller runs it (`failures` counts this run). */
    syncRegistryCredentialOnce(namespace: string, name: string, failures = 1) {
      return syncCredential(
        ctx(),
        registryCredentialKind(ctx()),
        rcState,
        { namespace, name },
        { ...quiet, failures },
      );
    },
    /** Syncs a RegistryCredential until it has a finalizer, then once more; resolves the last result. */
    syncRegistryCredential(namespace: string, name: string, failures = 1) {
      const once = () =>
        syncCredential(
          ctx(),
          registryCredentialKind(ctx()),
          rcState,
          { namespace, name },
          { ...quiet, failures },
        );
      return syncNew(once, () => rcFinalized(namespace, name));
    },
    /** One sync of a ClusterRegistryCredential, as its controller runs it. */
    syncClusterCredentialOnce(name: string, failures = 1) {
      return syncCredential(
        ctx(),
        clusterRegistryCredentialKind(ctx()),
        crcState,
        { name },
        { ...quiet, failures },
      );
    },
    /** A namespace-level sync of a ClusterRegistryCredential; false when it has no current plan. */
    syncClusterTarget(name: string, namespace: string) {
      return syncTarget(ctx(), clusterRegistryCredentialKind(ctx()), crcState, { name }, namespace, quiet);
    },
    syncClusterCredential(name: string, failures = 1) {
      const finalized = () => !!cluster.crcInformer.get(name)?.metadata.finalizers?.length;
      const once = () =>
        syncCredential(
          ctx(),
          clusterRegistryCredentialKind(ctx()),
          crcState,
          { name },
          { ...quiet, failures },
        );
      return syncNew(once, finalized);
    },
  };
}

export type OperatorProcess = ReturnType<typeof operatorProcess>;
