// Proof that the test control plane behaves like a real cluster in the ways later features rely on.
import { beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { testEnvironmentKeys } from "../support/jest/environment.js";
import {
  adminKubeConfig,
  createNamespace,
  expectStatus,
  statusOf,
  tokenKubeConfig,
  uniqueName,
} from "../support/kube.js";
import { waitFor } from "../support/wait.js";

const timeout = 90_000;

async function gone(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return false;
  } catch (error) {
    if (statusOf(error) === 404) return true;
    throw error;
  }
}

describe(`the test control plane (Kubernetes ${process.env[testEnvironmentKeys.version]})`, () => {
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;

  beforeAll(() => {
    kc = adminKubeConfig();
    core = kc.makeApiClient(k8s.CoreV1Api);
  });

  it(
    "gives a new namespace its default ServiceAccount through the controller manager",
    async () => {
      const namespace = await createNamespace(core, "sa-controller");
      await waitFor("the default ServiceAccount", async () => {
        try {
          await core.readNamespacedServiceAccount({ name: "default", namespace });
          return true;
        } catch (error) {
          if (statusOf(error) === 404) return false;
          throw error;
        }
      });
      const account = await core.readNamespacedServiceAccount({ name: "default", namespace });
      expect(account.metadata?.name).toBe("default");
    },
    timeout,
  );

  it(
    "garbage-collects a Secret whose owner ConfigMap is deleted",
    async () => {
      const namespace = await createNamespace(core, "gc");
      const owner = await core.createNamespacedConfigMap({
        namespace,
        body: { metadata: { name: "owner" } },
      });
      const ownerUid = owner.metadata?.uid;
      expect(ownerUid).toBeDefined();
      await core.createNamespacedSecret({
        namespace,
        body: {
          metadata: {
            name: "owned",
            ownerReferences: [
              { apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: ownerUid as string },
            ],
          },
          stringData: { key: "value" },
        },
      });
      await core.deleteNamespacedConfigMap({ name: "owner", namespace });
      await waitFor("the owned Secret to be garbage-collected", () =>
        gone(() => core.readNamespacedSecret({ name: "owned", namespace })),
      );
      expect(await gone(() => core.readNamespacedSecret({ name: "owned", namespace }))).toBe(true);
    },
    timeout,
  );

  it(
    "copies a ServiceAccount's imagePullSecrets into a new pod through the ServiceAccount admission plugin",
    async () => {
      const namespace = await createNamespace(core, "sa-admission");
      await core.createNamespacedServiceAccount({
        namespace,
        body: { metadata: { name: "puller" }, imagePullSecrets: [{ name: "registry-auth" }] },
      });
      const pod = await core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name: "app" },
          spec: {
            serviceAccountName: "puller",
            containers: [{ name: "app", image: "registry.example/app:1" }],
          },
        },
      });
      expect(pod.spec?.imagePullSecrets).toEqual([{ name: "registry-auth" }]);
    },
    timeout,
  );

  it(
    "authorizes a TokenRequest token by its Role: 2xx inside the Role, 403 outside it",
    async () => {
      const namespace = await createNamespace(core, "rbac");
      const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
      await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "narrow" } } });
      await rbac.createNamespacedRole({
        namespace,
        body: {
          metadata: { name: "configmap-reader" },
          rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] }],
        },
      });
      await rbac.createNamespacedRoleBinding({
        namespace,
        body: {
          metadata: { name: "narrow-reads-configmaps" },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "configmap-reader" },
          subjects: [{ kind: "ServiceAccount", name: "narrow", namespace }],
        },
      });
      const request = await core.createNamespacedServiceAccountToken({
        name: "narrow",
        namespace,
        body: { spec: { audiences: [], expirationSeconds: 600 } },
      });
      const token = request.status?.token;
      expect(token).toMatch(/^ey/);

      const asNarrow = tokenKubeConfig(kc, token as string).makeApiClient(k8s.CoreV1Api);
      const configMaps = await asNarrow.listNamespacedConfigMap({ namespace });
      expect(Array.isArray(configMaps.items)).toBe(true);
      const denied = await expectStatus(asNarrow.listNamespacedSecret({ namespace }));
      expect(denied.status).toBe(403);
      expect(denied.message).toContain(`system:serviceaccount:${namespace}:narrow`);
    },
    timeout,
  );

  it(
    "rejects an object that breaks a CRD's x-kubernetes-validations rule, with the rule's message",
    async () => {
      const extensions = kc.makeApiClient(k8s.ApiextensionsV1Api);
      const group = `${uniqueName("cel")}.test.regcred.dev`;
      const name = `widgets.${group}`;
      await extensions.createCustomResourceDefinition({
        body: {
          metadata: { name },
          spec: {
            group,
            names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
            scope: "Namespaced",
            versions: [
              {
                name: "v1",
                served: true,
                storage: true,
                schema: {
                  openAPIV3Schema: {
                    type: "object",
                    properties: {
                      spec: {
                        type: "object",
                        properties: { min: { type: "integer" }, max: { type: "integer" } },
                        x_kubernetes_validations: [
                          { rule: "self.min <= self.max", message: "min must not exceed max" },
                        ],
                      },
                    },
                  },
                },
              },
            ],
          },
        },
      });
      await waitFor("the CRD to be Established", async () => {
        const crd = await extensions.readCustomResourceDefinition({ name });
        return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false;
      });
      const namespace = await createNamespace(core, "cel");
      const objects = kc.makeApiClient(k8s.CustomObjectsApi);
      const widget = (spec: object) => ({
        group,
        version: "v1",
        namespace,
        plural: "widgets",
        body: { apiVersion: `${group}/v1`, kind: "Widget", metadata: { name: uniqueName("w") }, spec },
      });

      const rejected = await expectStatus(objects.createNamespacedCustomObject(widget({ min: 5, max: 1 })));
      expect(rejected.status).toBe(422);
      expect(rejected.message).toContain("min must not exceed max");
      await expect(objects.createNamespacedCustomObject(widget({ min: 1, max: 5 }))).resolves.toBeDefined();
      await extensions.deleteCustomResourceDefinition({ name });
    },
    timeout,
  );

  it(
    "rejects a privileged pod in a namespace enforcing the restricted Pod Security level",
    async () => {
      const namespace = await createNamespace(core, "restricted", {
        "pod-security.kubernetes.io/enforce": "restricted",
      });
      const rejected = await expectStatus(
        core.createNamespacedPod({
          namespace,
          body: {
            metadata: { name: "privileged" },
            spec: {
              containers: [
                { name: "app", image: "registry.example/app:1", securityContext: { privileged: true } },
              ],
            },
          },
        }),
      );
      expect(rejected.status).toBe(403);
      expect(rejected.message).toContain('violates PodSecurity "restricted:latest"');
      expect(rejected.message).toContain("privileged");
    },
    timeout,
  );

  it(
    "finishes deleting a namespace that held objects, until it is gone",
    async () => {
      const namespace = await createNamespace(core, "doomed");
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: "content" } } });
      await core.deleteNamespace({ name: namespace });
      await waitFor("the namespace to disappear", () => gone(() => core.readNamespace({ name: namespace })), {
        timeoutMs: 80_000,
      });
      expect(await gone(() => core.readNamespace({ name: namespace }))).toBe(true);
    },
    timeout,
  );
});
