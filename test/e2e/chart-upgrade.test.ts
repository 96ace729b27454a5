// The life cycle of a release as users run it, on a real node and a control plane of its own (so
// that the first release's CRDs are the ones installed): `helm install` of v0.1.0 (its chart and
// the image built from its Dockerfile), live resources, then the documented upgrade (the new CRDs,
// then `helm upgrade` to this checkout's chart and image), then the documented uninstall (delete
// the resources while the operator runs, then `helm uninstall`).
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import type { FakeEcrServer } from "../fakes/ecr/fake-ecr-server.js";
import { type ControlPlane, startControlPlane } from "../support/controlplane/controlplane.js";
import { installCrds } from "../support/crds.js";
import {
  awsKeysSecret,
  ClusterRegistryCredentials,
  clusterRegistryCredential,
  ecrWithStaticKeys,
  RegistryCredentials,
  registryCredential,
} from "../support/fixtures.js";
import { chartDir, helm, valuesFile } from "../support/helm.js";
import { previousRelease, releaseSource } from "../support/images/release-source.js";
import { createNamespace, uniqueName } from "../support/kube.js";
import { waitFor } from "../support/wait.js";
import { type ChartWorld, startChartWorld } from "./support/chart-world.js";
import { privateImage, pullOutcome } from "./support/ecr-world.js";
import { waitForPodAdmission } from "./support/pod-admission.js";

const timeout = 900_000;
const managedBy = "app.kubernetes.io/managed-by=registry-credential-operator";

let cluster: ControlPlane;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
let world: ChartWorld | undefined;
let ecr: FakeEcrServer;
let namespace: string;
let tenant: string;
let teamNamespaces: string[];
const release = uniqueName("regcred");
const team = uniqueName("upgrade-team");
const operatorDeployment = `${release}-registry-credential-operator`;

beforeAll(async () => {
  cluster = await startControlPlane();
  kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
  world = await startChartWorld({
    kubeconfigPath: cluster.kubeconfigPath,
    namespacePrefix: "upgrade",
    images: { [previousRelease.version]: releaseSource(previousRelease.commit) },
  });
  ({ ecr, namespace } = world);
  // The previous chart's values schema knows no `verification` (its operator checks no registry).
  const { verification: _newerThanPrevious, ...values } = world.values(previousRelease.version);
  const previousChart = join(releaseSource(previousRelease.commit), "charts", "registry-credential-operator");
  const installed = helm(["install", release, previousChart, ...target(), "-f", valuesFile(values)]);
  if (installed.status !== 0)
    throw new Error(`helm install of v${previousRelease.version} failed:\n${installed.stderr}`);
  await waitForRollout(previousRelease.version);

  // Live resources under v0.1.0: a RegistryCredential (deletionPolicy Delete) and a
  // ClusterRegistryCredential (Retain) over two namespaces, with pod admission both ways.
  tenant = await createNamespace(core, "upgrade-tenant");
  await core.createNamespacedSecret({ namespace: tenant, body: awsKeysSecret("aws-keys") });
  await new RegistryCredentials(kc, tenant).create(
    registryCredential("pull", {
      sources: [ecrWithStaticKeys("aws-keys")],
      podAdmission: { enabled: true, mechanism: "Webhook" },
    }),
  );
  await new RegistryCredentials(kc, tenant).waitForReady("pull");
  teamNamespaces = [
    await createNamespace(core, "upgrade-team-a", { team }),
    await createNamespace(core, "upgrade-team-b", { team }),
  ];
  await new ClusterRegistryCredentials(kc).create(
    clusterRegistryCredential(team, {
      sources: [ecrWithStaticKeys("aws-keys")],
      namespaces: { selector: { matchLabels: { team } } },
      secret: { name: "registry-pull" },
      deletionPolicy: "Retain",
      podAdmission: { enabled: true },
    }),
  );
  await new ClusterRegistryCredentials(kc).waitFor(team, (c) => c.status?.namespaces?.inSync === 2);
}, timeout);

afterAll(async () => {
  if (namespace) helm(["uninstall", release, ...target(), "--wait"]);
  await world?.stop();
  await cluster?.stop();
}, timeout);

function target(): string[] {
  return ["--kubeconfig", cluster.kubeconfigPath, "-n", namespace];
}

/** Resolves once the operator runs two Ready pods of image tag `tag`, and no others. */
async function waitForRollout(tag: string): Promise<void> {
  await waitFor(
    `the operator to run two Ready pods of tag ${tag}`,
    async () => {
      const status = (await apps.readNamespacedDeployment({ namespace, name: operatorDeployment })).status;
      const pods = (
        await core.listNamespacedPod({
          namespace,
          labelSelector: "app.kubernetes.io/name=registry-credential-operator",
        })
      ).items;
      return (
        status?.readyReplicas === 2 &&
        status.updatedReplicas === 2 &&
        pods.length === 2 &&
        pods.every((p) => p.spec?.containers[0]?.image?.endsWith(`:${tag}`))
      );
    },
    { timeoutMs: 300_000 },
  );
}

/** The operator's Secrets everywhere, as "namespace/name@resourceVersion". */
async function managedSecrets(): Promise<string[]> {
  const secrets = await core.listSecretForAllNamespaces({ labelSelector: managedBy });
  return secrets.items
    .map((s) => `${s.metadata?.namespace}/${s.metadata?.name}@${s.metadata?.resourceVersion}`)
    .sort();
}

/** Whether the leading operator pod reports `name` Ready in its metrics. */
async function leaderReportsReady(names: string[]): Promise<boolean> {
  const pods = (
    await core.listNamespacedPod({
      namespace,
      labelSelector: "app.kubernetes.io/name=registry-credential-operator",
    })
  ).items;
  for (const pod of pods) {
    const text = await fetch(`http://${pod.status?.podIP}:8080/metrics`)
      .then((r) => r.text())
      .catch(() => "");
    if (
      names.every((name) =>
        new RegExp(`^regcred_credential_ready\\{[^}]*name="${name}"[^}]*\\} 1$`, "m").test(text),
      )
    )
      return true;
  }
  return false;
}

/** The operator's Secrets everywhere, as "namespace/name uid". */
async function managedSecretUids(): Promise<string[]> {
  const secrets = await core.listSecretForAllNamespaces({ labelSelector: managedBy });
  return secrets.items.map((s) => `${s.metadata?.namespace}/${s.metadata?.name} ${s.metadata?.uid}`).sort();
}

function upgrade(extra: Record<string, unknown> = {}): void {
  const upgraded = helm([
    "upgrade",
    release,
    chartDir,
    ...target(),
    "-f",
    valuesFile({ ...(world as ChartWorld).values("test"), ...extra }),
  ]);
  if (upgraded.status !== 0) throw new Error(`helm upgrade failed:\n${upgraded.stderr}`);
}

describe(`helm upgrade from v${previousRelease.version} and helm uninstall, on a real node`, () => {
  it(
    "upgrades with live resources: each Secret signed once in place, one provider call per identity at most, the old objects still served and pods pulling",
    async () => {
      const uidsBefore = await managedSecretUids();
      const callsBefore = ecr.calls;
      expect(
        uidsBefore.filter((s) => / (pull|registry-pull) /.test(` ${s.split(" ")[0]?.split("/")[1]} `)),
      ).toHaveLength(3);

      // The documented order: the new CRDs, then helm upgrade.
      await installCrds(kc);
      upgrade();
      await waitForRollout("test");
      // The new leader has reconciled both resources once it reports them Ready.
      await waitFor(
        "the new leader to report both credentials Ready",
        () => leaderReportsReady(["pull", team]),
        {
          timeoutMs: 120_000,
        },
      );
      // v0.1.0 wrote Secrets without the signature this release trusts; it re-signs each in place
      // (same uid) with a fresh token: at most one mint per resource's identity (two here, one per
      // keys Secret), never one per namespace.
      expect(await managedSecretUids()).toEqual(uidsBefore);
      expect(ecr.calls - callsBefore).toBeLessThanOrEqual(2);
      const rc = await new RegistryCredentials(kc, tenant).get("pull");
      expect(rc?.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
      const crc = await new ClusterRegistryCredentials(kc).get(team);
      expect(crc?.status?.namespaces?.inSync).toBe(2);
      // Pods created now get the Secrets at admission and pull with them: the tenant's from the
      // webhook, once the new replicas answer in time (four in a row make a replica still too
      // slow unlikely, not impossible), the team's from the MutatingAdmissionPolicy.
      await waitForPodAdmission(core, tenant, "pull", 4);
      await waitForPodAdmission(core, teamNamespaces[0] as string, "registry-pull", 4);
      const admitted = [
        await core.createNamespacedPod({ namespace: tenant, body: privatePod("after-upgrade") }),
        await core.createNamespacedPod({
          namespace: teamNamespaces[0] as string,
          body: privatePod("after-upgrade"),
        }),
      ];
      expect(admitted.map((pod) => pod.spec?.imagePullSecrets?.map((s) => s.name))).toEqual([
        ["pull"],
        ["registry-pull"],
      ]);
      expect(await pullOutcome(core, tenant, "after-upgrade")).toEqual({ state: "running" });
      expect(await pullOutcome(core, teamNamespaces[0] as string, "after-upgrade")).toEqual({
        state: "running",
      });
    },
    timeout,
  );

  it(
    "rolls the upgraded release again (helm upgrade) without rewriting a Secret or calling the provider",
    async () => {
      const secretsBefore = await managedSecrets();
      const callsBefore = ecr.calls;
      upgrade({ podAnnotations: { "regcred.test/roll": "2" } });
      await waitFor(
        "the rollout to replace both operator pods",
        async () => {
          const pods = (
            await core.listNamespacedPod({
              namespace,
              labelSelector: "app.kubernetes.io/name=registry-credential-operator",
            })
          ).items;
          return (
            pods.length === 2 &&
            pods.every(
              (p) =>
                p.metadata?.annotations?.["regcred.test/roll"] === "2" &&
                p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
            )
          );
        },
        { timeoutMs: 300_000 },
      );
      await waitFor(
        "the new leader to report both credentials Ready",
        () => leaderReportsReady(["pull", team]),
        {
          timeoutMs: 120_000,
        },
      );
      expect(await managedSecrets()).toEqual(secretsBefore);
      expect(ecr.calls).toBe(callsBefore);
    },
    timeout,
  );

  it(
    "uninstalls in the documented order leaving nothing the operator created but its key, and nothing stuck on a finalizer",
    async () => {
      // Delete the resources while the operator runs; their finalizers must let go.
      await new RegistryCredentials(kc, tenant).delete("pull");
      await new ClusterRegistryCredentials(kc).delete(team);
      await waitFor("both resources to be gone", async () => {
        const rc = await new RegistryCredentials(kc, tenant).get("pull");
        const crc = await new ClusterRegistryCredentials(kc).get(team);
        return !rc && !crc;
      });
      const uninstalled = helm(["uninstall", release, ...target(), "--wait"]);
      expect(uninstalled.status).toBe(0);
      const admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
      // The webhook configuration and its serving Secret are owned by the release's ClusterRole.
      await waitFor("the garbage collector to delete what the release's ClusterRole owned", async () => {
        const configurations = await admission.listMutatingWebhookConfiguration();
        return (
          configurations.items.every((c) => !c.metadata?.name?.startsWith(release)) &&
          (await managedSecrets()).length === 0
        );
      });
      expect((await admission.listMutatingAdmissionPolicy({ labelSelector: managedBy })).items).toEqual([]);
      expect(
        (await admission.listMutatingAdmissionPolicyBinding({ labelSelector: managedBy })).items,
      ).toEqual([]);
      // Delete removed the RegistryCredential's Secret; Retain kept the ClusterRegistryCredential's,
      // without the operator's marks.
      expect(
        await core.readNamespacedSecret({ namespace: tenant, name: "pull" }).catch(() => undefined),
      ).toBeUndefined();
      for (const ns of teamNamespaces) {
        const kept = await core.readNamespacedSecret({ namespace: ns, name: "registry-pull" });
        expect(kept.metadata?.labels?.["app.kubernetes.io/managed-by"]).toBeUndefined();
        expect(kept.metadata?.ownerReferences ?? []).toEqual([]);
      }
      // Left on purpose (docs/operations.md): the operator key, so that a reinstall trusts what it signed.
      const left = (await core.listNamespacedSecret({ namespace })).items.map((s) => s.metadata?.name).sort();
      expect(left).toEqual(["aws-keys", `${operatorDeployment}-key`, "operator-pull"].sort());
    },
    timeout,
  );
});

function privatePod(name: string): k8s.V1Pod {
  return {
    metadata: { name },
    spec: {
      automountServiceAccountToken: false,
      containers: [{ name: "app", image: privateImage, imagePullPolicy: "Always" }],
    },
  };
}
