// Placeholder of the probe's contract until the probe itself lands.
import type { VerificationReason } from "../api/v1alpha1.js";

interface ProbeRequest {
  host: string;
  username: string;
  password: string;
  image?: string;
  signal?: AbortSignal;
}

interface ProbeOutcome {
  reason: VerificationReason;
  message: string;
}

export type RegistryProbe = (request: ProbeRequest) => Promise<ProbeOutcome>;

export interface RegistryProbeOptions {
  originOf?: (host: string) => string;
  insecureHosts?: readonly string[];
  allowedNetworks?: readonly string[];
  ca?: string;
}

export function createRegistryProbe(_options: RegistryProbeOptions = {}): RegistryProbe {
  return async () => ({ reason: "Skipped", message: "placeholder" });
}
