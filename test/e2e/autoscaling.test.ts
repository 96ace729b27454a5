// The promise, end to end: Deployments of a private ECR image scale from 1 to 20 replicas and back,
// again and again across several token rotations, in three namespaces of one
// ClusterRegistryCredential, pulling through the `default` ServiceAccount the operator patched and
// `imagePullPolicy: Always`. Every pod runs, no pull fails, and the registry (behind a gate that
// admits only unexpired fake-ECR tokens) saw pulls with at least three distinct tokens.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import {
  ClusterRegistryCredentials,
  clusterRegistryCredential,
  ecrWithStaticKeys,
} from "../support/fixtures.js";
import { createNamespace, uniqueName } from "../support/kube.js";
import { waitFor } from "../support/wait.js";
import { deployment, pullFailures, scaleTo } from "./support/deployments.js";
import { type EcrWorld, privateImage, startEcrWorld } from "./support/ecr-world.js";

const timeout = 600_000;
/** Tokens live 40 s and are renewed after about half: a rotation every 20 s or so. */
const tokenLifetimeMs = 40_000;

let world: EcrWorld;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
let namespaces: string[];
/** A namespace holding a static copy of the operator's Secret, taken once at the start. */
let staticNamespace: string;
let copiedAt: number;

beforeAll(async () => {
  world = await startEcrWorld({ tokenLifetimeMs });
  core = world.kc.makeApiClient(k8s.CoreV1Api);
  apps = world.kc.makeApiClient(k8s.AppsV1Api);
  const team = uniqueName("autoscale");
  namespaces = [];
  for (let i = 0; i < 3; i++) namespaces.push(await createNamespace(core, `autoscale-${i}`, { team }));
  for (const namespace of namespaces)
    await waitFor(`the default ServiceAccount in ${namespace}`, async () => {
      await core.readNamespacedServiceAccount({ namespace, name: "default" });
      return true;
    });
  const credentials = new ClusterRegistryCredentials(world.kc);
  await credentials.create(
    clusterRegistryCredential(team, {
      sources: [ecrWithStaticKeys(world.keysSecret)],
      namespaces: { selector: { matchLabels: { team } } },
      serviceAccounts: { names: ["default"] },
      secret: { name: "registry-pull" },
      refresh: { minInterval: "10s" },
    }),
  );
  await credentials.waitFor(team, (c) => c.status?.namespaces?.inSync === 3);
  // What users do without the operator: copy a working pull Secret once.
  const working = await core.readNamespacedSecret({
    namespace: namespaces[0] as string,
    name: "registry-pull",
  });
  copiedAt = Date.now();
  staticNamespace = await createNamespace(core, "autoscale-static");
  await core.createNamespacedSecret({
    namespace: staticNamespace,
    body: { metadata: { name: "static-pull" }, type: working.type, data: working.data },
  });
}, timeout);

afterAll(async () => {
  for (const namespace of [...(namespaces ?? []), staticNamespace])
    if (namespace) await apps.deleteNamespacedDeployment({ namespace, name: "app" }).catch(() => {});
  await world?.stop();
}, timeout);

describe("autoscaling across token rotations on a real node", () => {
  it(
    "every pod of three Deployments scaled 1 → 20 → 1 in turn runs, with no pull failure, across at least three tokens",
    async () => {
      for (const namespace of namespaces) {
        await apps.createNamespacedDeployment({ namespace, body: deployment("app", privateImage, 1) });
        await scaleTo(world.kc, namespace, "app", 1);
      }
      // Scale in turn until the pulls have spanned at least three tokens (and at least three rounds).
      for (let round = 0; round < 3 || world.gate.admitted.length < 3; round++) {
        if (round >= 12)
          throw new Error(`only ${world.gate.admitted.length} distinct tokens after ${round} rounds`);
        const namespace = namespaces[round % namespaces.length] as string;
        await scaleTo(world.kc, namespace, "app", 20);
        await scaleTo(world.kc, namespace, "app", 1);
      }
      const failures = (await Promise.all(namespaces.map((ns) => pullFailures(core, ns)))).flat();
      expect(failures).toEqual([]);
      expect(world.gate.admitted.length).toBeGreaterThanOrEqual(3);
      // No pull ever presented an expired or unknown token.
      expect(world.gate.refusedLogins()).toBe(0);
    },
    timeout,
  );

  it(
    "the same scale-up with a static copy of the Secret fails once the copied token expired",
    async () => {
      await waitFor("the copied token to expire", async () => Date.now() > copiedAt + tokenLifetimeMs, {
        timeoutMs: tokenLifetimeMs + 10_000,
      });
      await apps.createNamespacedDeployment({
        namespace: staticNamespace,
        body: deployment("app", privateImage, 5, "static-pull"),
      });
      await waitFor(
        "every pod of the static Deployment to be refused its image",
        async () => {
          const pods = await core.listNamespacedPod({ namespace: staticNamespace, labelSelector: "app=app" });
          return (
            pods.items.length === 5 &&
            pods.items.every((p) =>
              /ErrImagePull|ImagePullBackOff/.test(
                p.status?.containerStatuses?.[0]?.state?.waiting?.reason ?? "",
              ),
            )
          );
        },
        { timeoutMs: 120_000 },
      );
      expect((await pullFailures(core, staticNamespace)).length).toBeGreaterThan(0);
      expect(
        (await apps.readNamespacedDeployment({ namespace: staticNamespace, name: "app" })).status
          ?.readyReplicas ?? 0,
      ).toBe(0);
      expect(world.gate.refusedLogins()).toBeGreaterThan(0);
    },
    timeout,
  );
});
