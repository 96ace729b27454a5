import { CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import {
  clusterRegistryCredentialNames,
  group,
  registryCredentialNames,
  version,
} from "../../../src/api/v1alpha1.js";
import { recordShown } from "../leaks/ledger.js";
import { waitFor } from "../wait.js";
import { scanLeakLedger } from "./leak-scan.js";

/** Records every Event and every credential resource's status the run left in the cluster. */
async function recordClusterOutput(kubeconfigPath: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const objects = kc.makeApiClient(CustomObjectsApi);
  const events = await core.listEventForAllNamespaces();
  recordShown(
    "cluster-events",
    events.items
      .map((e) => `${e.involvedObject.kind}/${e.involvedObject.name} ${e.reason}: ${e.message}`)
      .join("\n"),
  );
  for (const plural of [registryCredentialNames.plural, clusterRegistryCredentialNames.plural]) {
    const list = (await objects.listClusterCustomObject({ group, version, plural })) as {
      items: { status?: unknown }[];
    };
    recordShown(
      `cluster-${plural}-status`,
      list.items.map((item) => JSON.stringify(item.status ?? {})).join("\n"),
    );
  }
}

/**
 * Records what the cluster shows (events, statuses), stops the control plane started by
 * global-setup.ts, then scans the run's leak ledger: fails the run if any credential value any fake
 * issued appears in any operator log, event, status or test output.
 */
export async function globalTeardown(): Promise<void> {
  const cluster = globalThis.regcredControlPlane;
  try {
    // Right after a start the apiserver may still be initialising storage (429): waitFor retries.
    if (cluster)
      await waitFor(
        "the cluster's events and statuses for the leak scan",
        async () => {
          await recordClusterOutput(cluster.kubeconfigPath);
          return true;
        },
        { timeoutMs: 30_000 },
      );
  } finally {
    await cluster?.stop();
    globalThis.regcredControlPlane = undefined;
  }
  scanLeakLedger((line) => process.stderr.write(`${line}\n`));
}
