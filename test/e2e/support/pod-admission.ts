import type * as k8s from "@kubernetes/client-node";
import { waitFor } from "../../support/wait.js";

/**
 * Resolves once pods created (as dry runs) in `namespace` get Secret `secretName` at admission
 * `inARow` times in a row: the apiserver loads admission configuration asynchronously, and a
 * webhook replica that just started may answer its first calls after the webhook's 2 s timeout,
 * which (failurePolicy Ignore) admits the pod unchanged. The Service spreads the dry runs across
 * replicas.
 */
export async function waitForPodAdmission(
  core: k8s.CoreV1Api,
  namespace: string,
  secretName: string,
  inARow = 1,
): Promise<void> {
  let added = 0;
  await waitFor(
    `pod admission in ${namespace} to add Secret ${secretName} ${inARow} time(s) in a row`,
    async () => {
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
      const adds = (probe?.spec?.imagePullSecrets ?? []).some((r) => r.name === secretName);
      added = adds ? added + 1 : 0;
      return added >= inARow;
    },
  );
}
