// Applies every directory under examples/ to the control plane, with the cloud APIs replaced by
// fakes, and checks that each credential becomes Ready. Namespaced objects go into a fresh
// namespace per example; cluster-scoped names get a unique suffix.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import type { ClusterRegistryCredential, RegistryCredential } from "../../src/api/v1alpha1.js";
import { startFakeAzureCloud } from "../fakes/azure/azure-cloud.js";
import { FakeEcrServer } from "../fakes/ecr/fake-ecr-server.js";
import { type FakeGoogleCloud, startFakeGoogleCloud } from "../fakes/google/google-cloud.js";
import { ClusterRegistryCredentials, RegistryCredentials } from "../support/fixtures.js";
import {
  adminKubeConfig,
  controlPlaneIssuer,
  createNamespace,
  statusOf,
  uniqueName,
} from "../support/kube.js";
import { type Moto, startMoto } from "../support/moto.js";
import { startTestOperator, type TestOperatorOptions } from "../support/test-operator.js";
import { waitFor } from "../support/wait.js";

const timeout = 180_000;
const examplesDirectory = fileURLToPath(new URL("../../examples", import.meta.url));
const examples = readdirSync(examplesDirectory, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

/** Creation order: what credentials reference first, pods last. */
const order = [
  "Namespace",
  "Secret",
  "ServiceAccount",
  "RegistryCredential",
  "ClusterRegistryCredential",
  "Pod",
];

type Manifest = k8s.KubernetesObject & Record<string, unknown>;

function manifestsOf(example: string): Manifest[] {
  const dir = join(examplesDirectory, example);
  return readdirSync(dir)
    .filter((file) => file.endsWith(".yaml"))
    .sort()
    .flatMap((file) => k8s.loadAllYaml(readFileSync(join(dir, file), "utf8")) as Manifest[])
    .filter(Boolean)
    .sort((a, b) => order.indexOf(a.kind ?? "") - order.indexOf(b.kind ?? ""));
}

const sourcesOf = (m: Manifest) =>
  ((m as unknown as RegistryCredential).spec?.sources ?? []) as RegistryCredential["spec"]["sources"];

let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let objects: k8s.KubernetesObjectApi;
let moto: Moto;

beforeAll(async () => {
  kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  moto = await startMoto();
}, timeout);

afterAll(async () => {
  await moto?.stop();
});

describe("examples/", () => {
  it("has the documented patterns", () => {
    expect(examples).toEqual(
      expect.arrayContaining([
        "aks-workload-identity-acr",
        "cluster-wide-team-namespaces",
        "dedicated-serviceaccounts-audit",
        "gke-workload-identity-gar",
        "pod-level-pull-secret",
        "serviceaccount-per-namespace",
      ]),
    );
    for (const example of examples) {
      expect(readFileSync(join(examplesDirectory, example, "README.md"), "utf8")).toMatch(/^# /);
    }
  });

  it.each(examples)(
    "%s: every credential becomes Ready against the fakes",
    async (example) => {
      const manifests = manifestsOf(example);
      const namespace = await createNamespace(core, "example");
      // Pods need their ServiceAccount; the control plane may run no token controller to create it.
      await core
        .createNamespacedServiceAccount({ namespace, body: { metadata: { name: "default" } } })
        .catch((error) => {
          if (statusOf(error) !== 409) throw error;
        });
      const runLabel = uniqueName("run");
      const renamed = new Map<string, string>();
      for (const m of manifests) {
        if (m.kind === "ClusterRegistryCredential") {
          const name = uniqueName(m.metadata?.name ?? "crc");
          renamed.set(m.metadata?.name ?? "", name);
          m.metadata = { ...m.metadata, name };
          // Scope the example's selector to this test's namespaces: other test files run in parallel.
          const spec = (m as unknown as ClusterRegistryCredential).spec;
          if (spec.namespaces.selector) {
            spec.namespaces.selector = {
              ...spec.namespaces.selector,
              matchLabels: { ...spec.namespaces.selector.matchLabels, "examples.regcred.dev/run": runLabel },
            };
          }
        } else {
          m.metadata = { ...m.metadata, namespace };
        }
      }

      const credentials = manifests.filter((m) => m.kind === "RegistryCredential");
      const clusterCredentials = manifests.filter((m) => m.kind === "ClusterRegistryCredential");
      const sources = [...credentials, ...clusterCredentials].flatMap(sourcesOf);
      expect(sources.length).toBeGreaterThan(0);

      // Point the SDKs at the fakes the sources need.
      const options: Omit<TestOperatorOptions, "kc"> = {
        config:
          clusterCredentials.length > 0 ? { operatorNamespace: namespace } : { watchNamespace: namespace },
      };
      const closers: Array<() => Promise<void>> = [];
      const garSource = sources.find((s) => s.gar)?.gar;
      let cloud: FakeGoogleCloud | undefined;
      if (garSource) {
        const audience = garSource.auth?.serviceAccountRef?.audience;
        cloud = await startFakeGoogleCloud(
          audience ? { federation: { audience, ...controlPlaneIssuer(kc) } } : {},
        );
        closers.push(() => (cloud as FakeGoogleCloud).close());
        options.google = cloud.endpoints;
        const subject = garSource.auth?.serviceAccountRef?.name;
        if (garSource.impersonate && subject && cloud.sts) {
          cloud.iam.allow(
            cloud.sts.principalOf(`system:serviceaccount:${namespace}:${subject}`),
            garSource.impersonate.serviceAccount,
          );
        }
      } else if (sources.some((s) => s.ecr?.auth?.serviceAccountRef)) {
        options.aws = { ecrEndpoint: moto.endpoint, stsEndpoint: moto.endpoint };
      } else {
        const ecr = await new FakeEcrServer(sources[0]?.ecr?.region ?? "eu-west-1").start();
        closers.push(() => ecr.close());
        for (const secret of manifests.filter((m) => m.kind === "Secret")) {
          const data = (secret as unknown as k8s.V1Secret).stringData ?? {};
          if (data.AWS_ACCESS_KEY_ID && data.AWS_SECRET_ACCESS_KEY) {
            ecr.registerCredentials({
              accessKeyId: data.AWS_ACCESS_KEY_ID,
              secretAccessKey: data.AWS_SECRET_ACCESS_KEY,
            });
          }
        }
        options.aws = { ecrEndpoint: ecr.endpoint };
      }

      const acrSource = sources.find((s) => s.acr)?.acr;
      const acrAccount = manifests.find(
        (m) => m.kind === "ServiceAccount" && m.metadata?.name === acrSource?.auth?.serviceAccountRef?.name,
      );
      if (acrSource && acrAccount) {
        // The managed identity the ServiceAccount's annotations name, federated with it.
        const annotations = acrAccount.metadata?.annotations ?? {};
        const tenantId = annotations["azure.workload.identity/tenant-id"] ?? "";
        const { issuer, ca } = controlPlaneIssuer(kc);
        const subject = `system:serviceaccount:${namespace}:${acrAccount.metadata?.name}`;
        const azure = await startFakeAzureCloud({
          applications: [
            {
              tenantId,
              clientId: annotations["azure.workload.identity/client-id"] ?? "",
              principalId: "example-identity",
              federatedCredentials: [
                { issuer, issuerCa: ca, subject, audience: "api://AzureADTokenExchange" },
              ],
            },
          ],
          registries: acrSource.registries.map((name) => ({ name, tenantId, pullers: ["example-identity"] })),
        });
        closers.push(() => azure.close());
        options.azure = azure.options;
      }

      const clusters = new ClusterRegistryCredentials(kc);
      const operator = await startTestOperator({ kc, ...options });
      const created: Manifest[] = [];
      try {
        for (const m of manifests) created.push((await objects.create(m)) as Manifest);

        for (const rc of credentials) {
          const name = rc.metadata?.name ?? "";
          const ready = await new RegistryCredentials(kc, namespace).waitForReady(name, undefined, 60_000);
          const secretName = ready.status?.secretName ?? name;
          expect((await core.readNamespacedSecret({ namespace, name: secretName })).type).toBe(
            "kubernetes.io/dockerconfigjson",
          );
          // ServiceAccounts the spec selects get the Secret in imagePullSecrets.
          const wanted = (rc as unknown as RegistryCredential).spec.serviceAccounts;
          if (wanted?.names || wanted?.selector) {
            const accounts = await core.listNamespacedServiceAccount({ namespace });
            const selected = accounts.items.filter(
              (sa) =>
                wanted.names?.includes(sa.metadata?.name ?? "") ||
                (Object.entries(wanted.selector?.matchLabels ?? {}).every(
                  ([k, v]) => sa.metadata?.labels?.[k] === v,
                ) &&
                  !!wanted.selector),
            );
            expect(selected.length).toBeGreaterThan(0);
            for (const sa of selected) {
              await waitFor(`ServiceAccount ${sa.metadata?.name} to list ${secretName}`, async () => {
                const current = await core.readNamespacedServiceAccount({
                  namespace,
                  name: sa.metadata?.name ?? "",
                });
                return current.imagePullSecrets?.some((s) => s.name === secretName) ?? false;
              });
            }
          }
        }

        for (const crc of clusterCredentials) {
          const name = crc.metadata?.name ?? "";
          // A namespace the (scoped) selector matches: the example selects namespaces labelled team.
          const team = await createNamespace(core, "example-team", {
            team: "payments",
            "examples.regcred.dev/run": runLabel,
          });
          const ready = await clusters.waitFor(
            name,
            (c) =>
              (c.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True") ?? false) &&
              (c.status?.namespaces?.inSync ?? 0) >= 1,
            60_000,
          );
          const secretName = ready.status?.secretName ?? name;
          await waitFor(`Secret ${team}/${secretName}`, async () => {
            try {
              return (
                (await core.readNamespacedSecret({ namespace: team, name: secretName })).type ===
                "kubernetes.io/dockerconfigjson"
              );
            } catch (error) {
              if (statusOf(error) === 404) return false;
              throw error;
            }
          });
          await core.deleteNamespace({ name: team });
        }
      } finally {
        // Delete while the operator runs, so its finalizer removes the Secrets and admission policy.
        for (const crc of clusterCredentials) {
          const name = crc.metadata?.name ?? "";
          await objects.delete(crc).catch(() => {});
          await waitFor(
            `ClusterRegistryCredential ${name} to be deleted`,
            async () => !(await clusters.get(name)),
          );
        }
        await operator.stop();
        for (const close of closers) await close();
        await core.deleteNamespace({ name: namespace }).catch(() => {});
      }
      expect(created).toHaveLength(manifests.length);
      expect(renamed.size).toBe(clusterCredentials.length);
    },
    timeout,
  );
});
