import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { crdDirectory } from "../support/crds.js";
import {
  argsOf,
  chartDir,
  deploymentOf,
  helm,
  kubeVersion,
  ofKind,
  render,
  valuesFile,
} from "../support/helm.js";
import { adminKubeConfig, createNamespace, expectStatus, uniqueName } from "../support/kube.js";
import { waitFor } from "../support/wait.js";

const timeout = 240_000;
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const monitoringCrdDir = join(repoRoot, "test/fixtures/prometheus-operator");
let scratch: string;

let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let objectsApi: k8s.KubernetesObjectApi;
const cleanup: k8s.KubernetesObject[] = [];

async function applyAll(objects: k8s.KubernetesObject[], dryRun?: "All"): Promise<void> {
  for (const object of objects) {
    await objectsApi.create(object, undefined, dryRun).catch((error: unknown) => {
      throw new Error(
        `creating ${object.kind} ${object.metadata?.name}${dryRun ? " (dry run)" : ""} failed: ${
          error instanceof k8s.ApiException ? JSON.stringify(error.body) : String(error)
        }`,
      );
    });
    if (!dryRun && !object.metadata?.namespace) cleanup.push(object);
  }
}

async function installCrdFiles(dir: string): Promise<void> {
  const api = kc.makeApiClient(k8s.ApiextensionsV1Api);
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml"))) {
    const crd = k8s.loadYaml<k8s.V1CustomResourceDefinition>(readFileSync(join(dir, file), "utf8"));
    await api.createCustomResourceDefinition({ body: crd }).catch((error: unknown) => {
      if (!(error instanceof k8s.ApiException) || error.code !== 409) throw error;
    });
    const name = crd.metadata?.name as string;
    await waitFor(`CRD ${name} Established`, async () => {
      const current = await api.readCustomResourceDefinition({ name });
      return !!current.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
    });
  }
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "regcred-helm-"));
  kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  objectsApi = k8s.KubernetesObjectApi.makeApiClient(kc);
});

afterAll(async () => {
  for (const object of cleanup.reverse()) await objectsApi.delete(object).catch(() => {});
  rmSync(scratch, { recursive: true, force: true });
});

describe("the chart, statically", () => {
  it("passes helm lint", () => {
    const result = helm(["lint", chartDir, "--strict", "--kube-version", kubeVersion()]);
    expect(`${result.stdout}${result.stderr}`).toContain("1 chart(s) linted, 0 chart(s) failed");
    expect(result.status).toBe(0);
  });

  it("ships CRDs identical to deploy/crds", () => {
    const shipped = readdirSync(crdDirectory).sort();
    expect(readdirSync(join(chartDir, "crds")).sort()).toEqual(shipped);
    for (const file of shipped)
      expect(readFileSync(join(chartDir, "crds", file), "utf8")).toBe(
        readFileSync(join(crdDirectory, file), "utf8"),
      );
  });

  it("renders the defaults: 2 replicas, leader election, probes, restricted security context, cluster RBAC", () => {
    const objects = render("rco", "regcred-system");
    const deployment = deploymentOf(objects);
    const pod = deployment.spec?.template.spec as k8s.V1PodSpec;
    const container = pod.containers[0] as k8s.V1Container;
    expect(deployment.spec?.replicas).toBe(2);
    expect(container.args).toEqual(
      expect.arrayContaining([
        "--operator-namespace=regcred-system",
        "--leader-elect",
        "--leader-election-namespace=regcred-system",
        "--metrics-bind-address=:8080",
      ]),
    );
    expect(container.livenessProbe?.httpGet?.path).toBe("/healthz");
    expect(container.readinessProbe?.httpGet?.path).toBe("/readyz");
    expect(container.resources?.requests).toBeDefined();
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 65532,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(ofKind(objects, "ClusterRole")).toHaveLength(1);
    expect(ofKind(objects, "PodDisruptionBudget")).toHaveLength(1);
    expect(ofKind(objects, "ServiceMonitor")).toHaveLength(0);
    expect(ofKind(objects, "MutatingWebhookConfiguration")).toHaveLength(0);
  });

  it("renders the webhook, monitoring, Azure and single-namespace value sets", () => {
    const webhook = render("rco", "regcred-system", { webhook: { enabled: true } });
    expect(argsOf(webhook)).toEqual(
      expect.arrayContaining([
        "--webhook-port=9443",
        "--webhook-service=rco-registry-credential-operator-webhook",
        "--webhook-configuration=rco-registry-credential-operator",
        "--webhook-configuration-owner=rco-registry-credential-operator-admission",
      ]),
    );
    expect(ofKind<k8s.V1Service>(webhook, "Service").map((s) => s.metadata?.name)).toContain(
      "rco-registry-credential-operator-webhook",
    );

    const monitoring = render("rco", "regcred-system", {
      monitoring: { enabled: true, alerts: { expiresWithinSeconds: 1800, notReadyFor: "10m" } },
    });
    expect(ofKind(monitoring, "ServiceMonitor")).toHaveLength(1);
    const rules = JSON.stringify(ofKind(monitoring, "PrometheusRule"));
    expect(rules).toContain("regcred_credential_expiry_timestamp_seconds - time() < 1800");
    expect(rules).toContain("regcred_credential_ready == 0");
    expect(rules).toContain("regcred_credential_expired == 1");
    expect(rules).toContain('"for":"10m"');
    expect(ofKind(monitoring, "ConfigMap")).toHaveLength(0);

    const dashboard = render("rco", "regcred-system", {
      monitoring: {
        dashboard: { enabled: true, namespace: "grafana", annotations: { grafana_folder: "Platform" } },
      },
    });
    const [configMap] = ofKind<k8s.V1ConfigMap>(dashboard, "ConfigMap");
    expect(configMap?.metadata).toMatchObject({
      namespace: "grafana",
      labels: { grafana_dashboard: "1" },
      annotations: { grafana_folder: "Platform" },
    });
    expect(JSON.parse(configMap?.data?.["registry-credential-operator.json"] ?? "{}")).toMatchObject({
      uid: "registry-credential-operator",
    });

    const azure = render("rco", "regcred-system", {
      azure: {
        allowedRegistryHosts: ["*.azurecr.io", "registry.internal:5000"],
        authorityHost: "https://login.microsoftonline.us",
      },
    });
    expect(argsOf(azure)).toEqual(
      expect.arrayContaining([
        "--acr-allowed-hosts=*.azurecr.io,registry.internal:5000",
        "--azure-authority-host=https://login.microsoftonline.us",
      ]),
    );

    const single = render("rco", "regcred-system", { watchNamespace: "team-a" });
    expect(argsOf(single)).toContain("--namespace=team-a");
    expect(ofKind<k8s.V1Role>(single, "Role").map((r) => r.metadata?.namespace)).toContain("team-a");
    const clusterRoles = ofKind<k8s.V1ClusterRole>(single, "ClusterRole");
    // Only the cluster-scoped admission objects remain cluster-wide: no Secrets or namespaces.
    expect(JSON.stringify(clusterRoles)).not.toContain("secrets");
    expect(JSON.stringify(clusterRoles)).not.toContain("registrycredentials");
  });

  it("renders the proxy and CA bundle values as environment and a read-only mount", () => {
    const container = (objects: k8s.KubernetesObject[]) =>
      deploymentOf(objects).spec?.template.spec?.containers[0] as k8s.V1Container;
    const envOf = (objects: k8s.KubernetesObject[]) =>
      Object.fromEntries((container(objects).env ?? []).map((entry) => [entry.name, entry.value]));

    const networks = render("rco", "regcred-system", {
      proxy: {
        httpsProxy: "http://proxy.corp.example:3128",
        httpProxy: "http://proxy.corp.example:3128",
        noProxy: ".corp.example, registry.internal:5000",
      },
      caBundle: { configMap: "corp-ca", key: "bundle.pem" },
      extraEnv: [{ name: "EXTRA", value: "kept" }],
    });
    expect(envOf(networks)).toEqual({
      HTTPS_PROXY: "http://proxy.corp.example:3128",
      HTTP_PROXY: "http://proxy.corp.example:3128",
      // The link-local metadata endpoints are appended: a proxy cannot reach them.
      NO_PROXY:
        ".corp.example,registry.internal:5000,169.254.169.254,169.254.170.2,169.254.170.23,metadata.google.internal",
      NODE_EXTRA_CA_CERTS: "/etc/regcred/ca/bundle.pem",
      EXTRA: "kept",
    });
    // NODE_USE_ENV_PROXY stays unset: it would also send the global agents (AWS instance metadata) to the proxy.
    expect(container(networks).volumeMounts).toEqual([
      { name: "ca-bundle", mountPath: "/etc/regcred/ca", readOnly: true },
    ]);
    expect(deploymentOf(networks).spec?.template.spec?.volumes).toEqual([
      {
        name: "ca-bundle",
        configMap: {
          name: "corp-ca",
          items: [{ key: "bundle.pem", path: "bundle.pem" }],
          defaultMode: 0o444,
        },
      },
    ]);

    const fromSecret = render("rco", "regcred-system", { caBundle: { secret: "corp-ca" } });
    expect(envOf(fromSecret)).toEqual({ NODE_EXTRA_CA_CERTS: "/etc/regcred/ca/ca.crt" });
    expect(deploymentOf(fromSecret).spec?.template.spec?.volumes?.[0]?.secret).toEqual({
      secretName: "corp-ca",
      items: [{ key: "ca.crt", path: "ca.crt" }],
      defaultMode: 0o444,
    });

    const defaults = render("rco", "regcred-system", {});
    expect(container(defaults).env).toBeUndefined();
    expect(container(defaults).volumeMounts).toBeUndefined();

    const both = helm([
      "template",
      "rco",
      chartDir,
      "--values",
      valuesFile({ caBundle: { configMap: "a", secret: "b" } }),
    ]);
    expect(both.status).not.toBe(0);
    expect(both.stderr).toContain("caBundle: set configMap or secret, not both");
    const notUrl = helm([
      "template",
      "rco",
      chartDir,
      "--values",
      valuesFile({ proxy: { httpsProxy: "proxy:3128" } }),
    ]);
    expect(notUrl.status).not.toBe(0);
    expect(notUrl.stderr).toContain("httpsProxy");
  });

  it("rejects a typo'd key and a wrong type through values.schema.json", () => {
    const path = valuesFile({ replicaCont: 3, concurrency: "eight" });
    const result = helm(["template", "rco", chartDir, "--values", path]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/additional propert(y|ies) 'replicaCont' not allowed/);
    expect(result.stderr).toMatch(/concurrency.*(got string, want integer|expected integer)/s);
  });
});

describe("the chart on the control plane", () => {
  it(
    "applies server-side dry-run then for real, for every value set, and the pod passes Pod Security restricted",
    async () => {
      await installCrdFiles(monitoringCrdDir);
      const valueSets: Record<string, unknown> = {
        defaults: {},
        webhook: { webhook: { enabled: true }, networkPolicy: { enabled: true } },
        monitoring: { monitoring: { enabled: true, dashboard: { enabled: true } } },
        single: { watchNamespace: "" },
        networks: {
          proxy: { httpsProxy: "http://proxy.corp.example:3128", noProxy: ".corp.example" },
          caBundle: { configMap: "corp-ca" },
        },
      };
      for (const [label, values] of Object.entries(valueSets)) {
        const namespace = await createNamespace(core, `helm-${label}`, {
          "pod-security.kubernetes.io/enforce": "restricted",
        });
        const withScope =
          label === "single" ? { watchNamespace: await createNamespace(core, "helm-watched") } : values;
        const objects = render(uniqueName("rco"), namespace, withScope);
        await applyAll(objects, "All");
        await applyAll(objects);

        const template = deploymentOf(objects).spec?.template as k8s.V1PodTemplateSpec;
        const pod = await core.createNamespacedPod({
          namespace,
          body: { metadata: { name: "template", labels: { test: "pod-security" } }, spec: template.spec },
        });
        expect(pod.metadata?.name).toBe("template");
        // The namespace really enforces `restricted`: the same pod without its security context is refused.
        const container = template.spec?.containers[0] as k8s.V1Container;
        const { status, message } = await expectStatus(
          core.createNamespacedPod({
            namespace,
            body: {
              metadata: { name: "insecure" },
              spec: {
                ...template.spec,
                securityContext: {},
                containers: [{ ...container, securityContext: {} }],
              },
            },
          }),
        );
        expect(status).toBe(403);
        expect(message).toContain("restricted");
      }
    },
    timeout,
  );
});

// Least privilege, both ways, from the audit log: least-privilege.test.ts.
