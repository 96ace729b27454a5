// What the External Secrets Operator side of the benchmark reports for one N: the shape the
// ESO scenario (bench/eso/) produces and the report (bench/support/report.ts) prints beside the
// operator's own row. Every figure is measured in the same run, on the same control plane kind and
// against the same fake ECR as the operator's; a figure that could not be measured is undefined
// and `notes` says why.
export interface EsoSizeResult {
  n: number;
  /** The ESO release built, e.g. "v0.16.2", and how it was reached ("module proxy", ...). */
  version: string;
  /** Namespaces created → every namespace's Secret present, seconds. */
  initialFanOutSeconds?: number;
  /** Fake ECR GetAuthorizationToken calls per forced refresh (median over the rotations). */
  providerCallsPerRotation?: number;
  /** Forced refresh → all N Secrets carry the new token, seconds, one entry per rotation. */
  rotationSeconds: number[];
  /** How a rotation was forced, e.g. "force-sync annotation on the ClusterExternalSecret's template". */
  rotationTrigger?: string;
  /** Secret writes (apiserver PUT/PATCH/POST on Secrets) per rotation, median. */
  secretWritesPerRotation?: number;
  /** New namespace → its Secret present, milliseconds. */
  newNamespaceP50Ms?: number;
  newNamespaceP99Ms?: number;
  /** ESO controller process: VmHWM over the whole run, and RSS once idle after the fan-out, MB. */
  peakRssMB?: number;
  idleRssMB?: number;
  /** utime+stime of the ESO process during the rotations divided by the Secret writes they caused. */
  cpuSecondsPerWrite?: number;
  /** Free text for the report: how ESO was run, what failed, what differs from the operator's setup. */
  notes: string[];
}
