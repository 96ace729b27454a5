import {
  AdmissionregistrationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  createConfiguration,
  type KubeConfig,
  PolicyV1Api,
  RbacAuthorizationV1Api,
  ServerConfiguration,
} from "@kubernetes/client-node";
import { TokenBucket } from "./rate-limiter.js";
import { shareConnections } from "./shared-connections.js";

export interface ClientLimits {
  /** Sustained requests per second to the apiserver, across all clients. */
  qps: number;
  /** Requests allowed at once above the sustained rate. */
  burst: number;
}

export interface KubeClients {
  core: CoreV1Api;
  objects: CustomObjectsApi;
  coordination: CoordinationV1Api;
  admission: AdmissionregistrationV1Api;
  rbac: RbacAuthorizationV1Api;
  policy: PolicyV1Api;
}

/**
 * API clients for the current context that share one client-side rate limit, like client-go's
 * QPS/burst, and one connection pool (see shareConnections).
 */
export function createKubeClients(kc: KubeConfig, limits: ClientLimits): KubeClients {
  shareConnections(kc);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster");
  const bucket = new TokenBucket(limits.qps, limits.burst);
  const config = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    promiseMiddleware: [
      {
        pre: async (context) => {
          await bucket.take();
          context.setHeaderParam("User-Agent", "registry-credential-operator");
          return context;
        },
        post: async (context) => context,
      },
    ],
  });
  return {
    core: new CoreV1Api(config),
    objects: new CustomObjectsApi(config),
    coordination: new CoordinationV1Api(config),
    admission: new AdmissionregistrationV1Api(config),
    rbac: new RbacAuthorizationV1Api(config),
    policy: new PolicyV1Api(config),
  };
}
