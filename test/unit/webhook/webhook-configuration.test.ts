import { describe, expect, it } from "@jest/globals";
import { desiredMutatingWebhookConfiguration } from "../../../src/webhook/webhook-configuration.js";

describe("desiredMutatingWebhookConfiguration", () => {
  const caBundlePem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

  it("declares one never-blocking pod CREATE webhook behind a Service", () => {
    const config = desiredMutatingWebhookConfiguration({
      name: "registry-credential-operator",
      clientConfig: { service: { namespace: "regcred-system", name: "regcred-webhook" } },
      caBundlePem,
      excludedNamespaces: ["regcred-system", "kube-system", "kube-system"],
    });
    expect(config.metadata).toEqual({
      name: "registry-credential-operator",
      labels: { "app.kubernetes.io/managed-by": "registry-credential-operator" },
    });
    expect(config.webhooks).toEqual([
      {
        name: "pods.regcred.dev",
        clientConfig: {
          service: { namespace: "regcred-system", name: "regcred-webhook", port: 443, path: "/mutate-pods" },
          caBundle: Buffer.from(caBundlePem).toString("base64"),
        },
        rules: [
          {
            operations: ["CREATE"],
            apiGroups: [""],
            apiVersions: ["v1"],
            resources: ["pods"],
            scope: "Namespaced",
          },
        ],
        failurePolicy: "Ignore",
        matchPolicy: "Equivalent",
        sideEffects: "None",
        timeoutSeconds: 2,
        admissionReviewVersions: ["v1"],
        reinvocationPolicy: "IfNeeded",
        namespaceSelector: {
          matchExpressions: [
            {
              key: "kubernetes.io/metadata.name",
              operator: "NotIn",
              values: ["kube-system", "regcred-system"],
            },
          ],
        },
        objectSelector: {
          matchExpressions: [{ key: "regcred.dev/inject", operator: "NotIn", values: ["false"] }],
        },
      },
    ]);
  });

  it("takes a URL and extra namespace labels; no NotIn with nothing excluded", () => {
    const config = desiredMutatingWebhookConfiguration({
      name: "test",
      clientConfig: { url: "https://127.0.0.1:8443/mutate-pods" },
      caBundlePem,
      excludedNamespaces: [],
      namespaceMatchLabels: { team: "a" },
    });
    const webhook = config.webhooks?.[0];
    expect(webhook?.clientConfig.url).toBe("https://127.0.0.1:8443/mutate-pods");
    expect(webhook?.clientConfig.service).toBeUndefined();
    expect(webhook?.namespaceSelector).toEqual({ matchLabels: { team: "a" } });
  });

  it("is owned by the given cluster-scoped owner, so that deleting the owner deletes it", () => {
    const owner = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      name: "rco-registry-credential-operator",
      uid: "5f0c6f4e-0000-4000-8000-000000000001",
    };
    const config = desiredMutatingWebhookConfiguration({
      name: "registry-credential-operator",
      clientConfig: { url: "https://127.0.0.1:9443/mutate-pods" },
      caBundlePem,
      excludedNamespaces: [],
      owner,
    });
    expect(config.metadata?.ownerReferences).toEqual([owner]);
  });
});
