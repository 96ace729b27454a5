// No gap, on a real node: namespaces created in a burst, each with a pod of the private image
// created the moment the namespace admits one, with ServiceAccount patching off so that pod
// admission alone must add the pull Secret, once through the in-apiserver MutatingAdmissionPolicy
// and once through the operator's webhook. Every pod runs.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import type { PodAdmission } from "../../src/api/v1alpha1.js";
import {
  ClusterRegistryCredentials,
  clusterRegistryCredential,
  ecrWithStaticKeys,
} from "../support/fixtures.js";
import { createNamespace, uniqueName } from "../support/kube.js";
import { waitFor } from "../support/wait.js";
import { type EcrWorld, privateImage, pullOutcome, startEcrWorld } from "./support/ecr-world.js";
import { waitForPodAdmission } from "./support/pod-admission.js";

const timeout = 300_000;
const burst = 8;
let world: EcrWorld;
let core: k8s.CoreV1Api;

beforeAll(async () => {
  world = await startEcrWorld({ tokenLifetimeMs: 12 * 3600_000 });
  core = world.kc.makeApiClient(k8s.CoreV1Api);
}, timeout);

afterAll(async () => {
  await world?.stop();
}, timeout);

/** Creates the pod as soon as the namespace admits pods (its default ServiceAccount exists). */
async function createPodAsap(namespace: string): Promise<k8s.V1Pod> {
  let pod: k8s.V1Pod | undefined;
  await waitFor(
    `a pod to be admitted in ${namespace}`,
    async () => {
      try {
        pod = await core.createNamespacedPod({
          namespace,
          body: {
            metadata: { name: "first" },
            spec: {
              automountServiceAccountToken: false,
              containers: [{ name: "app", image: privateImage, imagePullPolicy: "Always" }],
            },
          },
        });
        return true;
      } catch (error) {
        if (error instanceof k8s.ApiException && /serviceaccount|service account/i.test(String(error.body)))
          return false;
        throw error;
      }
    },
    { timeoutMs: 60_000, intervalMs: 20 },
  );
  return pod as k8s.V1Pod;
}

describe("pods born with their namespace, on a real node", () => {
  it.each<[string, PodAdmission]>([
    ["through the in-apiserver MutatingAdmissionPolicy", { enabled: true }],
    ["through the operator's webhook", { enabled: true, mechanism: "Webhook" }],
  ])(
    "run when admission alone adds the Secret %s",
    async (_mechanism, podAdmission) => {
      const team = uniqueName("nogap");
      const credentials = new ClusterRegistryCredentials(world.kc);
      await credentials.create(
        clusterRegistryCredential(team, {
          sources: [ecrWithStaticKeys(world.keysSecret)],
          namespaces: { selector: { matchLabels: { team } } },
          secret: { name: "registry-pull" },
          podAdmission,
        }),
      );
      const canary = await createNamespace(core, "nogap-canary", { team });
      await waitForPodAdmission(core, canary, "registry-pull");
      const names = Array.from({ length: burst }, () => uniqueName("nogap"));
      await Promise.all(
        names.map(async (namespace) => {
          await core.createNamespace({ body: { metadata: { name: namespace, labels: { team } } } });
          return createPodAsap(namespace);
        }),
      );
      const outcomes = await Promise.all(
        names.map((namespace) => pullOutcome(core, namespace, "first", "running")),
      );
      expect(outcomes).toEqual(names.map(() => ({ state: "running" })));
      await credentials.delete(team);
    },
    timeout,
  );
});
