import { accessSync, constants, existsSync } from "node:fs";
import { delimiter } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { CliError } from "./errors.js";

export interface KubeConfigOptions {
  /** --kubeconfig */
  path?: string | undefined;
  /** --context */
  context?: string | undefined;
  /** A ready KubeConfig (tests, embedding); ignored when path is given. */
  given?: KubeConfig | undefined;
  env?: NodeJS.ProcessEnv;
}

function loadFile(path: string): KubeConfig {
  if (!existsSync(path)) throw new CliError(`kubeconfig "${path}" does not exist`);
  try {
    accessSync(path, constants.R_OK);
  } catch {
    throw new CliError(`kubeconfig "${path}" is not readable by the current user`);
  }
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(path);
  } catch (error) {
    throw new CliError(
      `kubeconfig "${path}" could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return kc;
}

/**
 * The KubeConfig to use: --kubeconfig, else the given one, else client-node's defaults
 * (KUBECONFIG, in-cluster, ~/.kube/config). --context then selects a context by name.
 */
export function loadKubeConfig(options: KubeConfigOptions): KubeConfig {
  const env = options.env ?? process.env;
  let kc: KubeConfig;
  if (options.path !== undefined) {
    kc = loadFile(options.path);
  } else if (options.given) {
    kc = options.given;
  } else {
    const fromEnv = env.KUBECONFIG?.split(delimiter).filter(Boolean) ?? [];
    if (fromEnv.length > 0 && !fromEnv.some((path) => existsSync(path))) {
      throw new CliError(`kubeconfig from KUBECONFIG ("${env.KUBECONFIG}") does not exist`);
    }
    kc = new KubeConfig();
    try {
      kc.loadFromDefault();
    } catch (error) {
      throw new CliError(
        `could not load the default kubeconfig (KUBECONFIG, in-cluster, ~/.kube/config): ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  if (options.context !== undefined) {
    if (!kc.getContexts().some((context) => context.name === options.context)) {
      throw new CliError(
        `context "${options.context}" not found in the kubeconfig (contexts: ${kc
          .getContexts()
          .map((context) => context.name)
          .join(", ")})`,
      );
    }
    kc.setCurrentContext(options.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new CliError(
      "no cluster configured: set --kubeconfig or KUBECONFIG, run in a cluster, or create ~/.kube/config",
    );
  }
  return kc;
}

/** The namespace of the current context, as kubectl uses it when -n is not given. */
export function contextNamespace(kc: KubeConfig): string {
  return kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
}
