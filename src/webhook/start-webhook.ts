import { isIP } from "node:net";
import type {
  AdmissionregistrationV1Api,
  CoreV1Api,
  RbacAuthorizationV1Api,
  V1OwnerReference,
} from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { OperatorMetrics } from "../metrics/metrics.js";
import { errorText } from "../util/error-text.js";
import type { ReviewSummary } from "./admission-review.js";
import { mutatePodsPath, startAdmissionServer } from "./admission-server.js";
import type { PullSecretIndex } from "./pull-secret-index.js";
import { type ServingCertificate, ServingCertificateManager } from "./serving-certificate.js";
import { ensureMutatingWebhookConfiguration } from "./webhook-configuration.js";

/**
 * How often the certificate and the configuration are checked: rotation starts with a third of a
 * year left, and a configuration deleted (e.g. with an owner recreated under a new uid) comes back
 * within this.
 */
const checkIntervalMs = 300_000;
const namespaceNameLabel = "kubernetes.io/metadata.name";

/** Namespaces whose pods are never sent to the webhook: a broken webhook must not stall the system or the operator itself. */
export function webhookExcludedNamespaces(operatorNamespace: string): string[] {
  return ["kube-system", operatorNamespace];
}

export interface RunningWebhook {
  port: number;
  stop(): Promise<void>;
}

/** How the pod admission webhook is served and how the apiserver reaches it (the Service, or a URL). */
export interface WebhookServing {
  host: string;
  port: number;
  service?: string;
  url?: string;
  /** The MutatingWebhookConfiguration the operator manages. */
  configurationName: string;
  /** The ClusterRole that owns it (the chart's), so that deleting the release deletes it. */
  configurationOwner?: string;
}

/** The ownerReference to ClusterRole `name`. Throws an Error naming it when it cannot be read. */
async function clusterRoleOwner(rbac: RbacAuthorizationV1Api, name: string): Promise<V1OwnerReference> {
  try {
    const role = await rbac.readClusterRole({ name });
    return {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      name,
      uid: role.metadata?.uid as string,
    };
  } catch (error) {
    throw new Error(
      `reading ClusterRole ${name}, the webhook configuration's owner (--webhook-configuration-owner), failed: ${errorText(error)}`,
    );
  }
}

/**
 * Serves the pod admission webhook: a serving certificate shared by every replica (stored in a
 * Secret in the operator's namespace and rotated), the HTTPS server, and the
 * MutatingWebhookConfiguration with a current caBundle, sent pods of the watched namespace only in
 * single-namespace mode, and of every namespace but kube-system and the operator's otherwise, owned
 * by `configurationOwner` when set. Rejects when that owner cannot be read, the first certificate or
 * the configuration cannot be written, or the port cannot be bound.
 */
export async function startWebhook(
  config: WebhookServing,
  scope: { operatorNamespace: string; watchNamespace?: string },
  clients: { core: CoreV1Api; admission: AdmissionregistrationV1Api; rbac: RbacAuthorizationV1Api },
  index: PullSecretIndex,
  logger: Logger,
  metrics?: OperatorMetrics,
): Promise<RunningWebhook> {
  const operatorNamespace = scope.operatorNamespace;
  const url = config.url ? new URL(config.url) : undefined;
  const host = url?.hostname.replace(/^\[|\]$/g, "");
  const service = config.service;
  const dnsNames = service
    ? [`${service}.${operatorNamespace}.svc`, `${service}.${operatorNamespace}.svc.cluster.local`]
    : host && !isIP(host)
      ? [host]
      : [];
  const clientConfig = service
    ? { service: { namespace: operatorNamespace, name: service, port: 443, path: mutatePodsPath } }
    : { url: config.url as string };
  const ownerName = config.configurationOwner;
  // Looked up on every check: an owner recreated under a new uid is followed.
  const owner = ownerName ? () => clusterRoleOwner(clients.rbac, ownerName) : undefined;
  const ensureConfiguration = async (certificate: ServingCertificate) => {
    const reference = await owner?.();
    await ensureMutatingWebhookConfiguration(clients.admission, {
      name: config.configurationName,
      clientConfig,
      caBundlePem: certificate.caPem,
      excludedNamespaces: webhookExcludedNamespaces(operatorNamespace),
      ...(reference ? { owner: reference } : {}),
      ...(scope.watchNamespace
        ? { namespaceMatchLabels: { [namespaceNameLabel]: scope.watchNamespace } }
        : {}),
    });
  };
  const certificates = new ServingCertificateManager({
    core: clients.core,
    namespace: operatorNamespace,
    secretName: `${config.configurationName}-webhook-tls`,
    ...(owner ? { owner } : {}),
    dnsNames,
    ...(host && isIP(host) ? { ipAddresses: [host] } : {}),
    logger,
    beforeServing: ensureConfiguration,
  });
  let served = await certificates.ensure();
  const server = await startAdmissionServer({
    host: config.host,
    port: config.port,
    tls: certificates.tls,
    index,
    logger,
    ...(metrics
      ? {
          onReviewed: (summary: ReviewSummary) =>
            metrics.webhookAdmissions.inc({
              result: summary.error ? "error" : summary.added.length > 0 ? "patched" : "unchanged",
            }),
        }
      : {}),
  });
  // Each check also puts the configuration back as it should be (it is unchanged when it is).
  const checks = setInterval(() => {
    const check = async () => {
      const current = await certificates.ensure();
      // A new certificate went through beforeServing, which ensured the configuration already.
      if (current.certPem === served.certPem) await ensureConfiguration(current);
      served = current;
    };
    check().catch((error: unknown) =>
      logger.warn({ err: errorText(error) }, "webhook serving certificate or configuration check failed"),
    );
  }, checkIntervalMs);
  checks.unref();
  logger.info(
    { port: server.port, configuration: config.configurationName },
    "pod admission webhook serving",
  );
  return {
    port: server.port,
    async stop() {
      clearInterval(checks);
      await server.close();
    },
  };
}
