// The shape of what each scenario of the benchmark measures: stored per (scenario, N) by
// results-store.ts and printed by report.ts.
import type { EsoSizeResult } from "./eso-result.js";
import type { ClientProfile } from "./kit.js";

export interface Machine {
  nproc: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  kernel: string;
  kubernetes: string;
  /** The commit dist/ was built from (and whether src/ had uncommitted changes). */
  operatorSource: string;
}

/** Writes seen by the apiserver (apiserver_request_total), the bench's own writes subtracted. */
interface ApiserverWriteCounts {
  secretWrites: number;
  serviceAccountWrites: number;
  credentialWrites: number;
  eventWrites: number;
  /** Every mutating request on those resources, as "VERB resource code: count". */
  detail: string;
}

/** What else ran on the machine during a measurement (the worse of its start and end). */
export interface Contention {
  /** 1-minute load average. */
  load1: number;
  /** kube-apiservers on the machine other than the benchmark's own (other test runs). */
  foreignApiservers: number;
}

export interface RotationRun {
  trigger: string;
  contention: Contention;
  convergenceSeconds: number;
  /** Distinct .dockerconfigjson contents among the rewritten Secrets (1 = one mint everywhere). */
  distinctTokens: number;
  providerCalls: number;
  fakeEcrCalls: number;
  secretUpdates: number;
  secretCreates: number;
  serviceAccountPatches: number;
  /** utime + stime of the operator from the trigger until it was quiet again. */
  cpuSeconds: number;
  apiserver: ApiserverWriteCounts;
}

export interface BaselineRun {
  concurrency: number;
  /** Until the bench's watch saw all N Secrets updated (as for the operator). */
  convergenceSeconds: number;
  /** Until the last PUT returned. */
  putsSeconds: number;
  contention: Contention;
}

/** Bytes. */
export interface ProcessMemory {
  /** VmHWM: the peak resident set size of the process. */
  peakRss: number;
  /** Largest anonymous RSS seen by a 200 ms sampler (heap and other non-file memory). */
  peakAnon: number;
  /** Right after /readyz first answered 200: caches synced, nothing reconciled yet. */
  ready: { rss: number; anon: number; file: number };
  /** VmRSS once the process had been quiet for a while after its work (see the scenario). */
  idle?: { rss: number; anon: number; file: number };
  /** Most sockets open at once (a 200 ms sampler over /proc/PID/fd). */
  peakSockets: number;
}

/** A set of rotations of the operator beside bare-client runs, all under one client profile. */
export interface ProfileRuns {
  profile: ClientProfile;
  rotations: RotationRun[];
  baselines: BaselineRun[];
  memory: ProcessMemory;
}

export interface ThroughputResult {
  n: number;
  lifted: ProfileRuns;
  limited: ProfileRuns;
  /** The bare client unthrottled at each concurrency of the sweep: the apiserver's ceiling. */
  ceiling: BaselineRun[];
}

export interface NewNamespacesResult {
  n: number;
  count: number;
  paceMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  contention: Contention;
}

export interface RestartRun {
  readySeconds: number;
  settledSeconds: number;
  reconciles: number;
  /** Creates, updates and deletes. */
  secretWrites: number;
  secretDeletes: number;
  serviceAccountPatches: number;
  providerCalls: number;
  fakeEcrCalls: number;
  changedSecrets: number;
  apiserver: ApiserverWriteCounts;
  memory: ProcessMemory;
}

export interface StartupResult {
  n: number;
  profile: ClientProfile;
  /** First start: the ClusterRegistryCredential and N namespaces exist, no Secret does yet. */
  cold: {
    readySeconds: number;
    /** Until the last Secret and ServiceAccount patch was seen. */
    settledSeconds: number;
    secretCreates: number;
    serviceAccountPatches: number;
    providerCalls: number;
    memory: ProcessMemory;
  };
  /** A new process over the same, unchanged state. */
  restart: RestartRun;
}

export interface IdentitiesResult {
  n: number;
  namespaces: number;
  identities: number;
  credentials: number;
  accounts: number;
  tokenLifetimeSeconds: number;
  profile: ClientProfile;
  /** Creation of all credentials → all their Secrets present. */
  initialSeconds: number;
  initialProviderCalls: number;
  /** Scheduled refreshes seen within the observed window after the initial mints. */
  refresh: {
    windowSeconds: number;
    calls: number;
    distinctIdentities: number;
    /** Seconds after the identity's previous mint, as fractions of the token lifetime. */
    sinceMintFraction: { min: number; p50: number; max: number };
    /** Most calls in any one second, and in any ten seconds, of the window. */
    peakPerSecond: number;
    peakPerTenSeconds: number;
    /** Calls per 5-second bucket from the first refresh on (for the spread). */
    histogram: number[];
  };
  rotation: {
    trigger: string;
    convergenceSeconds: number;
    providerCalls: number;
    fakeEcrCalls: number;
    distinctIdentities: number;
    secretWrites: number;
    peakPerSecond: number;
    failedProviderCalls: number;
    cpuSeconds: number;
  };
  /** Provider calls the operator counted as failed over the whole run (throttling among them). */
  failedProviderCalls: number;
  /** The fake ECR's own throttling count, when it exposes one. */
  throttledByFake?: number;
  memory: ProcessMemory;
}

export interface FeatureRun {
  name: string;
  description: string;
  args: string[];
  memory: ProcessMemory;
  rotationSeconds: number;
}

export interface FeaturesResult {
  n: number;
  pods: number;
  runs: FeatureRun[];
  /** Features without a switch, and why they are not in the table. */
  notMeasured: string[];
}

/** What each scenario stores, by name. */
export interface ScenarioResults {
  throughput: ThroughputResult;
  "new-namespaces": NewNamespacesResult;
  startup: StartupResult;
  identities: IdentitiesResult;
  features: FeaturesResult;
  eso: EsoSizeResult;
}

export type ScenarioName = keyof ScenarioResults;

export const scenarioNames: readonly ScenarioName[] = [
  "throughput",
  "new-namespaces",
  "startup",
  "eso",
  "identities",
  "features",
];
