import type {
  AdmissionregistrationV1Api,
  V1LabelSelector,
  V1MutatingWebhook,
  V1MutatingWebhookConfiguration,
  V1OwnerReference,
} from "@kubernetes/client-node";
import { isNotFound, statusCode } from "../kube/errors.js";
import { withOwnerReference } from "../kube/owner-references.js";
import { managedByLabel, managedByValue } from "../secrets/ownership.js";
import { mutatePodsPath } from "./admission-server.js";
import { injectOptOutKey, injectOptOutValue } from "./mutate-pod.js";

const podWebhookName = "pods.regcred.dev";
const namespaceNameLabel = "kubernetes.io/metadata.name";
const maxWriteAttempts = 5;

/** Where the apiserver sends AdmissionReviews: an in-cluster Service, or a URL (tests, out-of-cluster). */
type WebhookClientConfig =
  | { service: { namespace: string; name: string; port?: number; path?: string } }
  | { url: string };

export interface MutatingWebhookOptions {
  /** Name of the (cluster-scoped) MutatingWebhookConfiguration. */
  name: string;
  /** For a Service, path defaults to "/mutate-pods" and port to 443. */
  clientConfig: WebhookClientConfig;
  /** PEM bundle the apiserver uses to verify the webhook's serving certificate. */
  caBundlePem: string;
  /** Namespaces whose pods are never sent to the webhook, e.g. kube-system and the operator's own. */
  excludedNamespaces: readonly string[];
  /** Only namespaces with all these labels are sent to the webhook (none: every namespace). */
  namespaceMatchLabels?: Record<string, string>;
  /**
   * A cluster-scoped owner (the chart's ClusterRole): the garbage collector deletes the
   * configuration when the owner is deleted, as `helm uninstall` does.
   */
  owner?: V1OwnerReference;
}

export type EnsureResult = "created" | "updated" | "unchanged";

/**
 * The desired configuration: one webhook pods.regcred.dev for CREATE of core/v1 pods, which can never
 * block a pod (failurePolicy Ignore, 2 s timeout, no side effects, so dry-run requests are sent too),
 * is called again when later webhooks change the pod (reinvocationPolicy IfNeeded), skips the
 * excluded namespaces and pods labelled regcred.dev/inject=false.
 * @internal exported for its tests
 */
export function desiredMutatingWebhookConfiguration(
  options: MutatingWebhookOptions,
): V1MutatingWebhookConfiguration {
  const clientConfig =
    "url" in options.clientConfig
      ? { url: options.clientConfig.url }
      : {
          service: {
            namespace: options.clientConfig.service.namespace,
            name: options.clientConfig.service.name,
            port: options.clientConfig.service.port ?? 443,
            path: options.clientConfig.service.path ?? mutatePodsPath,
          },
        };
  const excluded = [...new Set(options.excludedNamespaces)].sort();
  const namespaceSelector: V1LabelSelector = {};
  if (excluded.length > 0) {
    namespaceSelector.matchExpressions = [{ key: namespaceNameLabel, operator: "NotIn", values: excluded }];
  }
  if (options.namespaceMatchLabels && Object.keys(options.namespaceMatchLabels).length > 0) {
    namespaceSelector.matchLabels = { ...options.namespaceMatchLabels };
  }
  const webhook: V1MutatingWebhook = {
    name: podWebhookName,
    clientConfig: { ...clientConfig, caBundle: Buffer.from(options.caBundlePem).toString("base64") },
    rules: [
      {
        operations: ["CREATE"],
        apiGroups: [""],
        apiVersions: ["v1"],
        resources: ["pods"],
        scope: "Namespaced",
      },
    ],
    failurePolicy: "Ignore",
    matchPolicy: "Equivalent",
    sideEffects: "None",
    timeoutSeconds: 2,
    admissionReviewVersions: ["v1"],
    reinvocationPolicy: "IfNeeded",
    namespaceSelector,
    objectSelector: {
      matchExpressions: [{ key: injectOptOutKey, operator: "NotIn", values: [injectOptOutValue] }],
    },
  };
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    metadata: {
      name: options.name,
      labels: { [managedByLabel]: managedByValue },
      ...(options.owner ? { ownerReferences: [options.owner] } : {}),
    },
    webhooks: [webhook],
  };
}

/**
 * Creates the configuration, or replaces it when any field this operator manages differs (caBundle
 * included) — so calling it on every certificate check is cheap. Writes carry the observed
 * resourceVersion; conflicts (another replica, or a create race) are retried. Throws ApiException.
 */
export async function ensureMutatingWebhookConfiguration(
  api: AdmissionregistrationV1Api,
  options: MutatingWebhookOptions,
): Promise<EnsureResult> {
  const desired = desiredMutatingWebhookConfiguration(options);
  for (let attempt = 1; ; attempt++) {
    try {
      const current = await readConfiguration(api, options.name);
      if (!current) {
        await api.createMutatingWebhookConfiguration({ body: desired });
        return "created";
      }
      const ownerReferences = options.owner
        ? withOwnerReference(current.metadata?.ownerReferences, options.owner)
        : current.metadata?.ownerReferences;
      if (
        current.metadata?.labels?.[managedByLabel] === managedByValue &&
        sameManagedWebhooks(current.webhooks ?? [], desired.webhooks ?? []) &&
        ownerReferences === current.metadata?.ownerReferences
      ) {
        return "unchanged";
      }
      await api.replaceMutatingWebhookConfiguration({
        name: options.name,
        body: {
          ...desired,
          metadata: {
            ...current.metadata,
            labels: { ...current.metadata?.labels, [managedByLabel]: managedByValue },
            ...(ownerReferences ? { ownerReferences } : {}),
          },
        },
      });
      return "updated";
    } catch (error) {
      const code = statusCode(error);
      if ((code !== 409 && code !== 404) || attempt >= maxWriteAttempts) throw error;
    }
  }
}

/**
 * Deletes the configuration; resolves false when it did not exist. Throws other ApiExceptions.
 * @internal exported for its tests
 */
export async function deleteMutatingWebhookConfiguration(
  api: AdmissionregistrationV1Api,
  name: string,
): Promise<boolean> {
  try {
    await api.deleteMutatingWebhookConfiguration({ name });
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

async function readConfiguration(
  api: AdmissionregistrationV1Api,
  name: string,
): Promise<V1MutatingWebhookConfiguration | undefined> {
  try {
    return await api.readMutatingWebhookConfiguration({ name });
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

function sameManagedWebhooks(current: V1MutatingWebhook[], desired: V1MutatingWebhook[]): boolean {
  return JSON.stringify(current.map(managedView)) === JSON.stringify(desired.map(managedView));
}

/** The fields this operator sets, with the apiserver's defaults filled in, in a fixed key order. */
function managedView(webhook: V1MutatingWebhook) {
  const { url, service, caBundle } = webhook.clientConfig;
  const selector = (s: V1LabelSelector | undefined) => ({
    matchLabels: Object.entries(s?.matchLabels ?? {}).sort(([a], [b]) => a.localeCompare(b)),
    matchExpressions: (s?.matchExpressions ?? []).map((e) => [e.key, e.operator, e.values ?? []]),
  });
  return {
    name: webhook.name,
    url: url ?? null,
    service: service ? [service.namespace, service.name, service.port ?? 443, service.path ?? null] : null,
    caBundle: caBundle ?? null,
    rules: (webhook.rules ?? []).map((r) => [
      r.operations,
      r.apiGroups,
      r.apiVersions,
      r.resources,
      r.scope ?? "*",
    ]),
    failurePolicy: webhook.failurePolicy ?? "Fail",
    matchPolicy: webhook.matchPolicy ?? "Equivalent",
    sideEffects: webhook.sideEffects,
    timeoutSeconds: webhook.timeoutSeconds ?? 10,
    admissionReviewVersions: webhook.admissionReviewVersions,
    reinvocationPolicy: webhook.reinvocationPolicy ?? "Never",
    namespaceSelector: selector(webhook.namespaceSelector),
    objectSelector: selector(webhook.objectSelector),
    matchConditions: (webhook.matchConditions ?? []).map((c) => [c.name, c.expression]),
  };
}
