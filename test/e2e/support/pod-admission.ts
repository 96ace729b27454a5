import type * as k8s from "@kubernetes/client-node";
import { waitFor } from "../../support/wait.js";

/**
 * Resolves once a pod created (as a dry run) in `namespace` gets Secret `secretName` at admission:
 * the apiserver loads admission configuration asynchronously.
 */
export async function waitForPodAdmission(
  core: k8s.CoreV1Api,
  namespace: string,
  secretName: string,
): Promise<void> {
  await waitFor(`pod admission in ${namespace} to add Secret ${secretName}`, async () => {
    const probe = await core
      .createNamespacedPod({
        namespace,
        dryRun: "All",
        body: {
          metadata: { name: "probe" },
          spec: { imagePullSecrets: [{ name: "probe" }], containers: [{ name: "p", image: "probe" }] },
        },
      })
      .catch(() => undefined);
    return (probe?.spec?.imagePullSecrets ?? []).some((r) => r.name === secretName);
  });
}
