// Least privilege, proven both ways from the apiserver's audit log: over a full scenario on the
// chart's own RBAC (both kinds, fan-out, ServiceAccount patching and creation, TokenRequests,
// admission policies and the webhook, leader election, events), the set of (API group, resource,
// verb, resource name) the operator used equals what the chart grants, in cluster mode and in
// single-namespace mode; and removing a granted verb makes the scenario fail with a 403 for it.
import { readFileSync } from "node:fs";

import { request } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { injectionExpression } from "../../src/admission/admission-policy.js";
import type { OperatorConfig } from "../../src/config.js";
import { freePort } from "../support/controlplane/ports.js";
import {
  awsKeysSecret,
  ClusterRegistryCredentials,
  clusterRegistryCredential,
  ecrWithStaticKeys,
  RegistryCredentials,
  registryCredential,
} from "../support/fixtures.js";
import { argOf, ofKind, render } from "../support/helm.js";
import { testEnvironmentKeys } from "../support/jest/environment.js";
import { adminKubeConfig, createNamespace, tokenKubeConfig, uniqueName } from "../support/kube.js";
import { reportPull } from "../support/kubelet-status.js";
import { type Moto, startMoto } from "../support/moto.js";
import { startTestOperator, type TestOperator } from "../support/test-operator.js";
import { waitFor } from "../support/wait.js";

const timeout = 300_000;
const role = "arn:aws:iam::123456789012:role/registry-puller";
const mergePatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);

let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let rbac: k8s.RbacAuthorizationV1Api;
let admission: k8s.AdmissionregistrationV1Api;
let objectsApi: k8s.KubernetesObjectApi;
let moto: Moto;
const cleanup: k8s.KubernetesObject[] = [];

/** One permission: a verb on a resource (with subresource), in a namespace or cluster-wide ("*"), maybe for one name. */
interface Permission {
  scope: string;
  group: string;
  resource: string;
  verb: string;
  name?: string;
}

const show = (p: Permission) =>
  `${p.verb} ${p.group ? `${p.group}/` : ""}${p.resource}${p.name ? `/${p.name}` : ""} in ${p.scope === "*" ? "all namespaces" : p.scope || "the cluster"}`;

/** What the rendered chart grants the ServiceAccount, one entry per (verb, resource, name). */
function grantsOf(objects: k8s.KubernetesObject[], namespace: string, serviceAccount: string): Permission[] {
  const bound = (subjects: k8s.RbacV1Subject[] | undefined) =>
    (subjects ?? []).some(
      (s) => s.kind === "ServiceAccount" && s.name === serviceAccount && s.namespace === namespace,
    );
  const roles = new Map<string, { scope: string; rules: k8s.V1PolicyRule[] }>();
  for (const r of ofKind<k8s.V1ClusterRole>(objects, "ClusterRole"))
    roles.set(`ClusterRole/${r.metadata?.name}`, { scope: "*", rules: r.rules ?? [] });
  for (const r of ofKind<k8s.V1Role>(objects, "Role"))
    roles.set(`Role/${r.metadata?.namespace}/${r.metadata?.name}`, {
      scope: r.metadata?.namespace as string,
      rules: r.rules ?? [],
    });
  const granted: Permission[] = [];
  const bindings = [
    ...ofKind<k8s.V1ClusterRoleBinding>(objects, "ClusterRoleBinding").map((b) => ({
      b,
      key: `ClusterRole/${b.roleRef.name}`,
    })),
    ...ofKind<k8s.V1RoleBinding>(objects, "RoleBinding").map((b) => ({
      b,
      key:
        b.roleRef.kind === "Role"
          ? `Role/${b.metadata?.namespace}/${b.roleRef.name}`
          : `ClusterRole/${b.roleRef.name}`,
    })),
  ];
  for (const { b, key } of bindings) {
    if (!bound(b.subjects)) continue;
    const roleOf = roles.get(key);
    if (!roleOf)
      throw new Error(`binding ${b.metadata?.name} refers to ${key}, which the chart does not render`);
    for (const rule of roleOf.rules)
      for (const group of rule.apiGroups ?? [])
        for (const resource of rule.resources ?? [])
          for (const verb of rule.verbs)
            for (const name of rule.resourceNames?.length ? rule.resourceNames : [undefined])
              granted.push({ scope: roleOf.scope, group, resource, verb, ...(name ? { name } : {}) });
  }
  return granted;
}

interface AuditEvent {
  auditID: string;
  verb: string;
  user: { username: string };
  objectRef?: {
    resource?: string;
    subresource?: string;
    namespace?: string;
    name?: string;
    apiGroup?: string;
  };
  responseStatus?: { code?: number };
  annotations?: Record<string, string>;
}

interface Use extends Permission {
  decision: string;
  code: number;
}

/** Every resource request the user made, once each, from the audit log (starting at byte `from`). */
function usesOf(username: string, from = 0): Use[] {
  const path = process.env[testEnvironmentKeys.auditLog];
  if (!path) throw new Error(`${testEnvironmentKeys.auditLog} is not set (integration global setup)`);
  const seen = new Map<string, Use>();
  const text = readFileSync(path).subarray(from).toString("utf8");
  // The apiserver may be writing the last line right now: read whole lines only.
  for (const line of text.slice(0, text.lastIndexOf("\n") + 1).split("\n")) {
    if (!line.includes(username)) continue;
    const event = JSON.parse(line) as AuditEvent;
    const ref = event.objectRef;
    if (event.user.username !== username || !ref?.resource) continue;
    seen.set(event.auditID, {
      scope: ref.namespace ?? "",
      group: ref.apiGroup ?? "",
      resource: ref.subresource ? `${ref.resource}/${ref.subresource}` : ref.resource,
      verb: event.verb,
      ...(ref.name ? { name: ref.name } : {}),
      decision: event.annotations?.["authorization.k8s.io/decision"] ?? "",
      code: event.responseStatus?.code ?? 0,
    });
  }
  return [...seen.values()];
}

/** Where the audit log's next whole line starts (the apiserver may be writing one right now). */
const auditSize = () => readFileSync(process.env[testEnvironmentKeys.auditLog] as string).lastIndexOf(10) + 1;

function covers(grant: Permission, use: Permission): boolean {
  return (
    grant.group === use.group &&
    grant.resource === use.resource &&
    grant.verb === use.verb &&
    (grant.scope === "*" || grant.scope === use.scope) &&
    (!grant.name || grant.name === use.name)
  );
}

/** A chart release whose RBAC (and nothing else of it) is applied, and an operator configured as the chart runs it. */
interface Release {
  releaseNamespace: string;
  serviceAccount: string;
  username: string;
  objects: k8s.KubernetesObject[];
  config: (webhookPort: number) => Partial<OperatorConfig>;
}

async function install(values: Record<string, unknown>): Promise<Release> {
  const releaseNamespace = await createNamespace(core, "lp-release");
  const objects = render(uniqueName("lp"), releaseNamespace, { webhook: { enabled: true }, ...values });
  const rbacKinds = ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"];
  for (const object of objects.filter((o) => rbacKinds.includes(o.kind as string))) {
    await objectsApi.create(object);
    if (!object.metadata?.namespace) cleanup.push(object);
  }
  const serviceAccount = ofKind(objects, "ServiceAccount")[0]?.metadata?.name as string;
  const watchNamespace = argOf(objects, "namespace");
  return {
    releaseNamespace,
    serviceAccount,
    username: `system:serviceaccount:${releaseNamespace}:${serviceAccount}`,
    objects,
    config: (port) => ({
      operatorNamespace: releaseNamespace,
      operatorKeySecret: argOf(objects, "operator-key-secret") as string,
      ...(watchNamespace ? { watchNamespace } : {}),
      ambientIdentityNamespaces: [releaseNamespace],
      // As the chart runs it: watching pods for pull failures unless --disable-pull-failure-watch.
      watchPullFailures: !objects.some((o) => JSON.stringify(o).includes("--disable-pull-failure-watch")),
      leaderElection: {
        namespace: releaseNamespace,
        name: argOf(objects, "leader-election-id") as string,
        leaseDurationMs: 4000,
        renewDeadlineMs: 3000,
        retryPeriodMs: 500,
      },
      webhook: {
        host: "127.0.0.1",
        port,
        url: `https://127.0.0.1:${port}/mutate-pods`,
        configurationName: argOf(objects, "webhook-configuration") as string,
        configurationOwner: argOf(objects, "webhook-configuration-owner") as string,
      },
    }),
  };
}

/** The operator on the release's ServiceAccount token, with moto's ECR and STS. */
async function operatorOf(release: Release, port: number): Promise<TestOperator> {
  const token = await core.createNamespacedServiceAccountToken({
    namespace: release.releaseNamespace,
    name: release.serviceAccount,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  return startTestOperator({
    kc: tokenKubeConfig(kc, token.status?.token as string),
    aws: { ecrEndpoint: moto.endpoint, stsEndpoint: moto.endpoint },
    config: release.config(port),
    createOperatorNamespace: false,
  });
}

/** Sends the webhook an AdmissionReview for a pod in `namespace`, as the apiserver would. */
function review(port: number, namespace: string): Promise<unknown> {
  const body = JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: uniqueName("review"),
      operation: "CREATE",
      namespace,
      resource: { group: "", version: "v1", resource: "pods" },
      object: { metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "x" }] } },
    },
  });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/mutate-pods",
        method: "POST",
        rejectUnauthorized: false,
        headers: { "content-type": "application/json" },
      },
      (res) => {
        let text = "";
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve(text));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Resolves as `request` does, or with undefined when the object already exists (409). */
async function ignoringConflict<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if (error instanceof k8s.ApiException && error.code === 409) return undefined;
    throw error;
  }
}

/** The operator's last warnings and errors, for a timed-out wait's message (logs are redacted). */
function problemsOf(operator: TestOperator | undefined): string {
  const problems = (operator?.logs ?? []).filter(
    (line) => (JSON.parse(line) as { level: number }).level >= 40,
  );
  return `operator warnings and errors (last 20 of ${problems.length}):\n${problems.slice(-20).join("\n")}`;
}

/** The ECR host moto's tokens name (its default account, us-east-1). */
const motoEcrHost = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

/** The live (not deleting) pod of the workload labelled app=`app`. */
async function podOf(namespace: string, app: string): Promise<k8s.V1Pod | undefined> {
  const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` });
  return pods.items.find((p) => !p.metadata?.deletionTimestamp);
}

/** Stops a scenario early (a spot check has seen what it waits for). */
class Enough extends Error {}

interface ScenarioOptions {
  /** Checked before every step and while waiting: true ends the scenario. */
  enough?: () => boolean;
}

interface WithConditions {
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

const readyOf = (object: WithConditions | undefined) =>
  object?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

/** True when Ready; otherwise throws the conditions, which a timed-out wait then reports. */
const readyOrConditions = (object: WithConditions | undefined) => {
  if (readyOf(object)) return true;
  throw new Error(
    `conditions: ${JSON.stringify(object?.status?.conditions?.map(({ type, status, reason, message }) => ({ type, status, reason, message })) ?? "none")}`,
  );
};

/**
 * Everything the operator does on the chart's RBAC, step by step, each step waiting for its effect.
 * Cluster mode adds both credential kinds' fan-out, namespace lookups and admission policies;
 * single-namespace mode keeps to the watched namespace.
 */
async function scenario(release: Release, options: ScenarioOptions = {}): Promise<void> {
  const enough = options.enough ?? (() => false);
  const wait = (what: string, check: () => Promise<boolean>) =>
    waitFor(what, check, { timeoutMs: 60_000, abort: () => (enough() ? "enough" : undefined) }).catch(
      (error: Error) => {
        if (enough()) throw new Enough();
        throw new Error(`${error.message}\n${problemsOf(operator)}`);
      },
    );
  const step = async (run: () => Promise<void>) => {
    if (enough()) throw new Enough();
    await run();
  };
  const singleNamespace = release.config(0).watchNamespace;
  const port = await freePort();
  // Fresh names every run: a spot check may leave the previous run's resources behind.
  const staticName = uniqueName("static");
  const team = uniqueName("team");
  const federatedName = uniqueName("federated");
  let operator: TestOperator | undefined;
  try {
    await step(async () => {
      if (singleNamespace) {
        // A serving-certificate Secret left unusable: the operator must read and rewrite it.
        const tls = `${release.config(0).webhook?.configurationName}-webhook-tls`;
        await core.deleteNamespacedSecret({ namespace: release.releaseNamespace, name: tls }).catch(() => {});
        await core.createNamespacedSecret({
          namespace: release.releaseNamespace,
          body: {
            metadata: {
              name: `${release.config(0).webhook?.configurationName}-webhook-tls`,
              labels: { "app.kubernetes.io/managed-by": "registry-credential-operator" },
            },
            type: "kubernetes.io/tls",
            stringData: { "tls.crt": "not a certificate", "tls.key": "not a key" },
          },
        });
      }
      operator = await operatorOf(release, port);
      await wait("the operator to lead", async () => !!operator?.leaderElection?.isLeader());
      if (singleNamespace) {
        // The webhook is sent pods of the watched namespace only.
        const webhook = await admission.readMutatingWebhookConfiguration({
          name: release.config(0).webhook?.configurationName as string,
        });
        expect(webhook.webhooks?.[0]?.namespaceSelector?.matchLabels).toEqual({
          "kubernetes.io/metadata.name": singleNamespace,
        });
      }
    });
    const tenant = singleNamespace ?? (await createNamespace(core, "lp-tenant", { "lp-team": team }));
    const credentials = new RegistryCredentials(kc, tenant);
    // A workload whose pod exists before any credential: it lacks the Secret, and is evicted below.
    const stuck = uniqueName("lp-stuck");
    await step(async () => {
      await kc.makeApiClient(k8s.AppsV1Api).createNamespacedReplicaSet({
        namespace: tenant,
        body: {
          metadata: { name: stuck },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: stuck } },
            template: {
              metadata: { labels: { app: stuck } },
              spec: { containers: [{ name: "app", image: `${motoEcrHost}/lp/app:1` }] },
            },
          },
        },
      });
      await wait("the workload's pod", async () => !!(await podOf(tenant, stuck)));
    });
    await step(async () => {
      await ignoringConflict(
        core.createNamespacedSecret({ namespace: tenant, body: awsKeysSecret("aws-keys") }),
      );
      await ignoringConflict(
        core.createNamespacedServiceAccount({
          namespace: tenant,
          body: { metadata: { name: "puller", annotations: { "eks.amazonaws.com/role-arn": role } } },
        }),
      );
      await credentials.create(
        registryCredential(staticName, {
          sources: [ecrWithStaticKeys("aws-keys", "us-east-1")],
          serviceAccounts: { names: ["default"] },
          podAdmission: singleNamespace ? { enabled: true, mechanism: "Webhook" } : { enabled: true },
          pullFailures: { evictPodsMissingSecret: true },
        }),
      );
      await credentials.create(
        registryCredential(federatedName, {
          sources: [{ ecr: { region: "us-east-1", auth: { serviceAccountRef: { name: "puller" } } } }],
        }),
      );
      for (const name of [staticName, federatedName])
        await wait(`RegistryCredential ${name} Ready`, async () =>
          readyOrConditions(await credentials.get(name)),
        );
    });
    await step(async () => {
      // The kubelet's view of the workload's pod: refused without the Secret. The operator reads
      // the namespace's PodDisruptionBudgets and evicts it; its ReplicaSet recreates it with the Secret.
      const pod = (await podOf(tenant, stuck)) as k8s.V1Pod;
      await reportPull(core, tenant, pod.metadata?.name as string, `${motoEcrHost}/lp/app:1`, {
        waiting: "ImagePullBackOff",
        message: "failed to pull and unpack image: 401 Unauthorized",
      });
      await wait("the stuck pod replaced by one with the Secret", async () => {
        const now = await podOf(tenant, stuck);
        return (
          !!now &&
          now.metadata?.uid !== pod.metadata?.uid &&
          (now.spec?.imagePullSecrets ?? []).some((s) => s.name === staticName)
        );
      });
    });

    const clusterCredentials = new ClusterRegistryCredentials(kc);
    const crcs: string[] = [];
    if (!singleNamespace) {
      await step(async () => {
        await ignoringConflict(
          core.createNamespacedSecret({
            namespace: release.releaseNamespace,
            body: awsKeysSecret("aws-keys"),
          }),
        );
        const leaving = await createNamespace(core, "lp-leaving", { "lp-team": team });
        // A namespace whose quota keeps the controller manager from recreating `default`: the
        // operator's own attempt to create it is then certain, and refused too (by quota
        // admission, not by RBAC).
        const blocked = await createNamespace(core, "lp-quota");
        await core.createNamespacedResourceQuota({
          namespace: blocked,
          body: {
            metadata: { name: "no-serviceaccounts" },
            spec: { hard: { "count/serviceaccounts": "0" } },
          },
        });
        // Quota admission may still hold its view from before the quota (it caches lookups briefly):
        // delete `default` until the controller manager can no longer recreate it.
        await wait("`default` to stay deleted under the quota", async () => {
          await core.deleteNamespacedServiceAccount({ namespace: blocked, name: "default" }).catch(() => {});
          await new Promise((resolve) => setTimeout(resolve, 1000));
          return !(await core.listNamespacedServiceAccount({ namespace: blocked })).items.some(
            (a) => a.metadata?.name === "default",
          );
        });
        await core.patchNamespace(
          { name: blocked, body: { metadata: { labels: { "lp-team": team } } } },
          mergePatch,
        );
        const fan = uniqueName("lp-fan");
        const policy = uniqueName("lp-policy");
        crcs.push(fan, policy);
        await clusterCredentials.create(
          clusterRegistryCredential(fan, {
            sources: [ecrWithStaticKeys("aws-keys", "us-east-1")],
            namespaces: { selector: { matchLabels: { "lp-team": team } } },
            serviceAccounts: { names: ["default"] },
            podAdmission: { enabled: true, mechanism: "Webhook" },
          }),
        );
        await clusterCredentials.create(
          clusterRegistryCredential(policy, {
            sources: [ecrWithStaticKeys("aws-keys", "us-east-1")],
            namespaces: { names: [tenant, leaving] },
            podAdmission: { enabled: true },
          }),
        );
        await wait("the fan-out, with the quota-blocked namespace failing", async () => {
          const status = (await clusterCredentials.get(fan))?.status;
          return status?.namespaces?.targeted === 3 && status.namespaces.inSync === 2;
        });
        await wait("the policy credential Ready", async () =>
          readyOrConditions(await clusterCredentials.get(policy)),
        );
        // The webhook is asked about a namespace this replica has never seen.
        await review(port, uniqueName("not-seen"));
        // Selections change: a binding is replaced, one added, then removed again; a namespace leaves.
        await clusterCredentials.patchSpec(policy, { namespaces: { names: [tenant] } });
        await clusterCredentials.patchSpec(policy, {
          namespaces: { names: [tenant], selector: { matchLabels: { "lp-team": team } } },
        });
        await wait("the selection with two bindings applied", async () =>
          readyOf(await clusterCredentials.waitFor(policy, readyOf)),
        );
        await clusterCredentials.patchSpec(policy, { namespaces: { names: [tenant] } });
        await core.patchNamespace(
          { name: leaving, body: { metadata: { labels: { "lp-team": null } } } },
          mergePatch,
        );
        await wait("the Secret gone from the namespace that left", async () => {
          const secrets = await core.listNamespacedSecret({ namespace: leaving });
          return !secrets.items.some((s) => s.metadata?.name === fan);
        });
      });
    } else {
      await step(async () => {
        await review(port, tenant);
      });
    }

    await step(async () => {
      // Someone edits the RegistryCredential's admission policy; the next sync puts it back.
      if (!singleNamespace) {
        const policies = await admission.listMutatingAdmissionPolicy();
        const own = policies.items.find(
          (p) =>
            p.metadata?.annotations?.["regcred.dev/owner"] === `RegistryCredential/${tenant}/${staticName}`,
        );
        if (!own) throw new Error(`no admission policy for RegistryCredential ${staticName}`);
        await admission.replaceMutatingAdmissionPolicy({
          name: own.metadata?.name as string,
          body: {
            ...own,
            spec: {
              ...own.spec,
              mutations: [
                { patchType: "JSONPatch", jsonPatch: { expression: injectionExpression("someone-elses") } },
              ],
            },
          },
        });
      }
      // A change of the Secret's labels makes the operator update it.
      await kc.makeApiClient(k8s.CustomObjectsApi).patchNamespacedCustomObject(
        {
          group: "regcred.dev",
          version: "v1alpha1",
          namespace: tenant,
          plural: "registrycredentials",
          name: staticName,
          body: { spec: { secret: { labels: { audited: "yes" } } } },
        },
        mergePatch,
      );
      await wait(
        "the Secret relabelled",
        async () =>
          (await core.readNamespacedSecret({ namespace: tenant, name: staticName })).metadata?.labels
            ?.audited === "yes",
      );
    });

    await step(async () => {
      // Someone edits the webhook configuration; the next operator to start puts it back.
      const name = release.config(0).webhook?.configurationName as string;
      await admission.patchMutatingWebhookConfiguration(
        { name, body: { webhooks: [{ name: "pods.regcred.dev", timeoutSeconds: 7 }] } },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.StrategicMergePatch),
      );
      await operator?.stop();
      operator = await operatorOf(release, port);
      await wait("the restarted operator to lead", async () => !!operator?.leaderElection?.isLeader());
      await wait(
        "the webhook configuration restored",
        async () =>
          (await admission.readMutatingWebhookConfiguration({ name })).webhooks?.[0]?.timeoutSeconds === 2,
      );
    });

    await step(async () => {
      await credentials.delete(staticName);
      await credentials.delete(federatedName);
      for (const name of crcs) await clusterCredentials.delete(name);
      await wait(
        "the credentials gone",
        async () =>
          !(await credentials.get(staticName)) &&
          !(await credentials.get(federatedName)) &&
          (await Promise.all(crcs.map((n) => clusterCredentials.get(n)))).every((c) => !c),
      );
      await operator?.idle();
    });
  } catch (error) {
    if (!(error instanceof Enough)) throw error;
  } finally {
    await operator?.stop().catch(() => {});
  }
}

/** The scenario's uses against the grants: what was forbidden, what nothing grants, and what went unused. */
function compare(release: Release, uses: Use[]) {
  const grants = grantsOf(release.objects, release.releaseNamespace, release.serviceAccount);
  const allowed = uses.filter((u) => u.decision === "allow");
  return {
    forbidden: [...new Set(uses.filter((u) => u.decision !== "allow").map(show))].sort(),
    notGranted: [...new Set(allowed.filter((u) => !grants.some((g) => covers(g, u))).map(show))].sort(),
    unused: [...new Set(grants.filter((g) => !allowed.some((u) => covers(g, u))).map(show))].sort(),
  };
}

beforeAll(async () => {
  kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
  objectsApi = k8s.KubernetesObjectApi.makeApiClient(kc);
  moto = await startMoto();
}, timeout);

/**
 * Removes what aborted scenarios left: credential resources whose operator is gone keep their
 * finalizer (stripped here), and the releases' webhook configurations point at ports nobody serves.
 */
async function removeLeftovers(): Promise<void> {
  const objects = kc.makeApiClient(k8s.CustomObjectsApi);
  for (const plural of ["registrycredentials", "clusterregistrycredentials"]) {
    const list = (await objects.listClusterCustomObject({
      group: "regcred.dev",
      version: "v1alpha1",
      plural,
    })) as {
      items: { metadata: { name: string; namespace?: string } }[];
    };
    for (const { metadata } of list.items) {
      if (!(metadata.namespace ?? metadata.name).startsWith("lp-")) continue;
      const params = { group: "regcred.dev", version: "v1alpha1", plural, name: metadata.name };
      const body = { metadata: { finalizers: null } };
      if (metadata.namespace) {
        await objects
          .patchNamespacedCustomObject({ ...params, namespace: metadata.namespace, body }, mergePatch)
          .catch(() => {});
        await objects
          .deleteNamespacedCustomObject({ ...params, namespace: metadata.namespace })
          .catch(() => {});
      } else {
        await objects.patchClusterCustomObject({ ...params, body }, mergePatch).catch(() => {});
        await objects.deleteClusterCustomObject(params).catch(() => {});
      }
    }
  }
  for (const webhook of (await admission.listMutatingWebhookConfiguration()).items)
    if (webhook.metadata?.name?.startsWith("lp-"))
      await admission.deleteMutatingWebhookConfiguration({ name: webhook.metadata.name }).catch(() => {});
}

afterAll(async () => {
  try {
    await removeLeftovers();
    for (const object of cleanup.reverse()) await objectsApi.delete(object).catch(() => {});
  } finally {
    await moto?.stop();
  }
}, 60_000);

/** Removes one verb from the chart's role granting it, runs the scenario until the operator is refused it, and restores the role. */
async function refusedWithout(release: Release, target: Permission): Promise<Use[]> {
  const clusterRoles = ofKind<k8s.V1ClusterRole>(release.objects, "ClusterRole");
  const roles = ofKind<k8s.V1Role>(release.objects, "Role");
  const strip = (rules: k8s.V1PolicyRule[] = []) =>
    rules
      .map((rule) =>
        rule.resources?.includes(target.resource) &&
        (rule.apiGroups ?? []).includes(target.group) &&
        (!target.name || rule.resourceNames?.includes(target.name))
          ? { ...rule, verbs: rule.verbs.filter((v) => v !== target.verb) }
          : rule,
      )
      .filter((rule) => rule.verbs.length > 0);
  const role =
    target.scope === "*"
      ? clusterRoles.find((r) => r.rules?.some((rule) => rule.resources?.includes(target.resource)))
      : roles.find(
          (r) =>
            r.metadata?.namespace === target.scope &&
            r.rules?.some(
              (rule) => rule.resources?.includes(target.resource) && rule.verbs.includes(target.verb),
            ),
        );
  if (!role) throw new Error(`no role of the chart grants ${show(target)}`);
  const name = role.metadata?.name as string;
  if (target.scope === "*") {
    const current = await rbac.readClusterRole({ name });
    await rbac.replaceClusterRole({ name, body: { ...current, rules: strip(current.rules) } });
  } else {
    const current = await rbac.readNamespacedRole({ name, namespace: target.scope });
    await rbac.replaceNamespacedRole({
      name,
      namespace: target.scope,
      body: { ...current, rules: strip(current.rules) },
    });
  }
  const from = auditSize();
  const refused = () =>
    usesOf(release.username, from).filter(
      (u) => u.decision === "forbid" && u.code === 403 && covers(target, u),
    );
  try {
    await removeLeftovers();
    // The webhook configuration is created only when missing.
    if (target.resource === "mutatingwebhookconfigurations")
      await admission
        .deleteMutatingWebhookConfiguration({ name: release.config(0).webhook?.configurationName as string })
        .catch(() => {});
    let failure: unknown;
    await scenario(release, { enough: () => refused().length > 0 }).catch((error: unknown) => {
      failure = error;
    });
    const found = refused();
    // No refusal seen: show why the scenario stopped, if it did.
    if (found.length === 0 && failure) throw failure;
    return found;
  } finally {
    if (target.scope === "*") {
      const current = await rbac.readClusterRole({ name });
      await rbac.replaceClusterRole({ name, body: { ...current, rules: role.rules } });
    } else {
      const current = await rbac.readNamespacedRole({ name, namespace: target.scope });
      await rbac.replaceNamespacedRole({
        name,
        namespace: target.scope,
        body: { ...current, rules: role.rules },
      });
    }
  }
}

type Target = (release: Release) => Permission;
const anywhere =
  (group: string, resource: string, verb: string): Target =>
  () => ({ scope: "*", group, resource, verb });
const inWatched =
  (resource: string, verb: string): Target =>
  (r) => ({ scope: r.config(0).watchNamespace as string, group: "", resource, verb });
const inRelease =
  (group: string, resource: string, verb: string): Target =>
  (r) => ({ scope: r.releaseNamespace, group, resource, verb });

const modes: [string, () => Record<string, unknown>, [string, Target][]][] = [
  [
    "cluster mode",
    () => ({}),
    [
      ["secrets create", anywhere("", "secrets", "create")],
      ["serviceaccounts patch", anywhere("", "serviceaccounts", "patch")],
      ["serviceaccounts create", anywhere("", "serviceaccounts", "create")],
      ["serviceaccounts/token create", anywhere("", "serviceaccounts/token", "create")],
      ["events create", anywhere("", "events", "create")],
      ["registrycredentials patch", anywhere("regcred.dev", "registrycredentials", "patch")],
      ["registrycredentials/status patch", anywhere("regcred.dev", "registrycredentials/status", "patch")],
      ["clusterregistrycredentials patch", anywhere("regcred.dev", "clusterregistrycredentials", "patch")],
      [
        "clusterregistrycredentials/status patch",
        anywhere("regcred.dev", "clusterregistrycredentials/status", "patch"),
      ],
      ["namespaces get", anywhere("", "namespaces", "get")],
      ["pods/eviction create", anywhere("", "pods/eviction", "create")],
      ["poddisruptionbudgets list", anywhere("policy", "poddisruptionbudgets", "list")],
      [
        "mutatingadmissionpolicies create",
        anywhere("admissionregistration.k8s.io", "mutatingadmissionpolicies", "create"),
      ],
      [
        "mutatingadmissionpolicybindings create",
        anywhere("admissionregistration.k8s.io", "mutatingadmissionpolicybindings", "create"),
      ],
      [
        "mutatingwebhookconfigurations create",
        anywhere("admissionregistration.k8s.io", "mutatingwebhookconfigurations", "create"),
      ],
      ["leases update", inRelease("coordination.k8s.io", "leases", "update")],
    ],
  ],
  [
    "single-namespace mode",
    () => ({ watchNamespace: uniqueName("lp-watched") }),
    [
      ["secrets create in the watched namespace", inWatched("secrets", "create")],
      [
        "secrets update in the release namespace (the webhook's certificate)",
        inRelease("", "secrets", "update"),
      ],
      ["serviceaccounts patch", inWatched("serviceaccounts", "patch")],
      ["serviceaccounts/token create", inWatched("serviceaccounts/token", "create")],
      ["pods/eviction create", inWatched("pods/eviction", "create")],
      ["events create", inWatched("events", "create")],
      [
        "registrycredentials/status patch",
        (r) => ({ ...inWatched("registrycredentials/status", "patch")(r), group: "regcred.dev" }),
      ],
      [
        "mutatingwebhookconfigurations create",
        anywhere("admissionregistration.k8s.io", "mutatingwebhookconfigurations", "create"),
      ],
      ["leases update", inRelease("coordination.k8s.io", "leases", "update")],
    ],
  ],
];

describe.each(modes)("least privilege in %s", (_mode, values, spotChecks) => {
  let release: Release;

  beforeAll(async () => {
    const wanted = values();
    if (wanted.watchNamespace)
      await core.createNamespace({ body: { metadata: { name: wanted.watchNamespace as string } } });
    release = await install(wanted);
  }, timeout);

  it(
    "the operator uses exactly what the chart grants, no more and no less",
    async () => {
      const from = auditSize();
      await scenario(release);
      const uses = usesOf(release.username, from);
      expect(
        grantsOf(release.objects, release.releaseNamespace, release.serviceAccount).length,
      ).toBeGreaterThan(15);
      const { forbidden, notGranted, unused } = compare(release, uses);
      expect({ forbidden, notGranted, unused }).toEqual({ forbidden: [], notGranted: [], unused: [] });
    },
    timeout,
  );

  it.each(spotChecks)(
    "without %s, the scenario is refused it with a 403",
    async (_verb, target) => {
      // Each refusal the audit log shows for that verb (a Role's verb is refused in its namespace).
      const refused = await refusedWithout(release, target(release));
      expect(refused.map(show)).not.toEqual([]);
    },
    timeout,
  );
});
