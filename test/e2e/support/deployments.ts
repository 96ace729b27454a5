// Deployments of one image on the real node, scaled and watched for pull failures.
import * as k8s from "@kubernetes/client-node";
import { waitFor } from "../../support/wait.js";

/** A Deployment `name` of `image`, pulled Always, with `pullSecret` or no pull Secret of its own. */
export function deployment(
  name: string,
  image: string,
  replicas: number,
  pullSecret?: string,
): k8s.V1Deployment {
  const labels = { app: name };
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: 0,
          ...(pullSecret ? { imagePullSecrets: [{ name: pullSecret }] } : {}),
          containers: [{ name: "app", image, imagePullPolicy: "Always" }],
        },
      },
    },
  };
}

/** Sets the Deployment's replicas without waiting. */
export async function setReplicas(
  apps: k8s.AppsV1Api,
  namespace: string,
  name: string,
  replicas: number,
): Promise<void> {
  await apps.patchNamespacedDeploymentScale(
    { namespace, name, body: { spec: { replicas } } },
    k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
  );
}

/** Resolves once the Deployment has `replicas` ready pods and no others. */
export async function waitForReplicas(
  kc: k8s.KubeConfig,
  namespace: string,
  name: string,
  replicas: number,
): Promise<void> {
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await waitFor(
    `Deployment ${namespace}/${name} to have ${replicas} ready replicas and no others`,
    async () => {
      const status = (await apps.readNamespacedDeployment({ namespace, name })).status;
      const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${name}` });
      return status?.readyReplicas === replicas && pods.items.length === replicas;
    },
    { timeoutMs: 240_000 },
  );
}

/** Scales the Deployment and waits for it (waitForReplicas). */
export async function scaleTo(
  kc: k8s.KubeConfig,
  namespace: string,
  name: string,
  replicas: number,
): Promise<void> {
  await setReplicas(kc.makeApiClient(k8s.AppsV1Api), namespace, name, replicas);
  await waitForReplicas(kc, namespace, name, replicas);
}

/** Pull failures the kubelet reported in `namespace`, as "pod: reason: message". */
export async function pullFailures(core: k8s.CoreV1Api, namespace: string): Promise<string[]> {
  const events = await core.listNamespacedEvent({ namespace });
  return events.items
    .filter(
      (e) =>
        /ErrImagePull|ImagePullBackOff/.test(`${e.reason} ${e.message}`) ||
        (e.reason === "Failed" && /pull/i.test(e.message ?? "")),
    )
    .map((e) => `${e.involvedObject.name}: ${e.reason}: ${e.message}`);
}
