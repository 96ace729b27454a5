import type { KubeConfig } from "@kubernetes/client-node";
import { type ParsedArgs, stringOption } from "./args.js";
import { UsageError } from "./errors.js";
import { contextNamespace } from "./kubeconfig.js";

/** A namespace, or undefined for all namespaces (-A). Defaults to the context's namespace. */
export function namespaceScope(args: ParsedArgs, kc: KubeConfig): string | undefined {
  const namespace = stringOption(args, "namespace");
  if (args.options["all-namespaces"] === true) {
    if (namespace) throw new UsageError("use either -n/--namespace or -A/--all-namespaces, not both");
    return undefined;
  }
  return namespace ?? contextNamespace(kc);
}

export const scopeOptions = {
  namespace: { value: true, short: "n" },
  "all-namespaces": { value: false, short: "A" },
} as const;

export const scopeHelp = `  -n, --namespace NS        only this namespace (default: the context's namespace)
  -A, --all-namespaces      every namespace`;
