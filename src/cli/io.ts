import type { KubeConfig } from "@kubernetes/client-node";

/** Where a CLI run writes, and optionally the KubeConfig to use instead of the defaults. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  kubeConfig?: KubeConfig;
  env?: NodeJS.ProcessEnv;
  /** Clock for relative times and expiry checks. */
  now?: () => Date;
}

export const exitCodes = { ok: 0, failure: 1, findings: 1, usage: 2 } as const;
