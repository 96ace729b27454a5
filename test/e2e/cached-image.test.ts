// KEP-2535 (ensure secret pulled images, on by default since 1.35) on a real node: once an image is
// on the node, a pod in a new namespace still needs a credential the registry accepts, so it runs
// with the Secret the operator fanned out there, and a pod with no Secret is refused even though
// the image is cached. Across token rotations the operator updates each Secret in place: its UID
// never changes, so the kubelet's record of which Secret pulled the image stays valid.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import {
  ClusterRegistryCredentials,
  clusterRegistryCredential,
  ecrWithStaticKeys,
} from "../support/fixtures.js";
import { createNamespace, uniqueName } from "../support/kube.js";
import { waitFor } from "../support/wait.js";
import { type EcrWorld, privateImage, pullOutcome, startEcrWorld } from "./support/ecr-world.js";

const timeout = 300_000;
const tokenLifetimeMs = 30_000;
let world: EcrWorld;
let core: k8s.CoreV1Api;
let credentials: ClusterRegistryCredentials;
const team = uniqueName("cached");

beforeAll(async () => {
  world = await startEcrWorld({ tokenLifetimeMs });
  core = world.kc.makeApiClient(k8s.CoreV1Api);
  credentials = new ClusterRegistryCredentials(world.kc);
  await credentials.create(
    clusterRegistryCredential(team, {
      sources: [ecrWithStaticKeys(world.keysSecret)],
      namespaces: { selector: { matchLabels: { team } } },
      secret: { name: "registry-pull" },
      refresh: { minInterval: "10s" },
    }),
  );
}, timeout);

afterAll(async () => {
  await world?.stop();
}, timeout);

/** A namespace of the credential, once its Secret is there and its default ServiceAccount exists. */
async function teamNamespace(prefix: string, labels: Record<string, string> = { team }): Promise<string> {
  const namespace = await createNamespace(core, prefix, labels);
  await waitFor(`namespace ${namespace} ready for pods`, async () => {
    await core.readNamespacedServiceAccount({ namespace, name: "default" });
    if (labels.team) await core.readNamespacedSecret({ namespace, name: "registry-pull" });
    return true;
  });
  return namespace;
}

function pod(name: string, pullSecrets: string[]): k8s.V1Pod {
  return {
    metadata: { name },
    spec: {
      automountServiceAccountToken: false,
      containers: [{ name: "app", image: privateImage, imagePullPolicy: "IfNotPresent" }],
      imagePullSecrets: pullSecrets.map((secret) => ({ name: secret })),
    },
  };
}

describe("an image already on the node (KEP-2535)", () => {
  it(
    "runs in a new namespace with the fanned-out Secret, and is refused there without one",
    async () => {
      const first = await teamNamespace("cached-first");
      await core.createNamespacedPod({ namespace: first, body: pod("warm", ["registry-pull"]) });
      expect(await pullOutcome(core, first, "warm")).toEqual({ state: "running" });

      const fresh = await teamNamespace("cached-new");
      await core.createNamespacedPod({ namespace: fresh, body: pod("with-secret", ["registry-pull"]) });
      expect(await pullOutcome(core, fresh, "with-secret")).toEqual({ state: "running" });

      const outsider = await teamNamespace("cached-outsider", {});
      await core.createNamespacedPod({ namespace: outsider, body: pod("no-secret", []) });
      expect(await pullOutcome(core, outsider, "no-secret")).toMatchObject({
        state: "refused",
        reason: expect.stringMatching(/ErrImagePull|ImagePullBackOff/),
      });
    },
    timeout,
  );

  it(
    "keeps every Secret's UID across token rotations: updated in place, never recreated",
    async () => {
      const namespace = await teamNamespace("cached-uid");
      const before = await core.readNamespacedSecret({ namespace, name: "registry-pull" });
      const rotations = new Set<string>([JSON.stringify(before.data)]);
      await waitFor(
        "two token rotations",
        async () => {
          const now = await core.readNamespacedSecret({ namespace, name: "registry-pull" });
          expect(now.metadata?.uid).toBe(before.metadata?.uid);
          rotations.add(JSON.stringify(now.data));
          return rotations.size >= 3;
        },
        { timeoutMs: 4 * tokenLifetimeMs },
      );
      await core.createNamespacedPod({ namespace, body: pod("after-rotations", ["registry-pull"]) });
      expect(await pullOutcome(core, namespace, "after-rotations")).toEqual({ state: "running" });
    },
    timeout,
  );
});
