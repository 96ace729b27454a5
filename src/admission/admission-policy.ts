import { createHash } from "node:crypto";
import type {
  AdmissionregistrationV1Api,
  V1LabelSelector,
  V1MutatingAdmissionPolicy,
  V1MutatingAdmissionPolicyBinding,
} from "@kubernetes/client-node";
import type { NamespaceSelection } from "../api/v1alpha1.js";
import { isNotFound } from "../kube/errors.js";
import { managedByLabel, managedByValue, ownerKey, type SecretOwner } from "../secrets/ownership.js";

const nameLabel = "kubernetes.io/metadata.name";
/** Names the credential resource ("Kind/namespace/name" or "Kind/name") a policy belongs to. */
export const policyOwnerAnnotation = "regcred.dev/owner";
const injectOptOutLabel = "regcred.dev/inject";

/** The name of the MutatingAdmissionPolicy (and prefix of its bindings) for one credential resource. */
export function admissionPolicyName(owner: SecretOwner): string {
  return `regcred-${createHash("sha256")
    .update(`${ownerKey(owner)}@${owner.uid}`)
    .digest("hex")
    .slice(0, 20)}`;
}

/**
 * A CEL JSONPatch that appends the Secret to a pod's imagePullSecrets unless it is there already,
 * keeping every other entry. Secret names are DNS subdomains, so they need no escaping in CEL.
 * @internal exported for its tests
 */
export function injectionExpression(secretName: string): string {
  const entry = `Object.spec.imagePullSecrets{name: "${secretName}"}`;
  return [
    `!has(object.spec.imagePullSecrets) ? [JSONPatch{op: "add", path: "/spec/imagePullSecrets", value: [${entry}]}]`,
    `: object.spec.imagePullSecrets.exists(s, s.name == "${secretName}") ? []`,
    `: [JSONPatch{op: "add", path: "/spec/imagePullSecrets/-", value: ${entry}}]`,
  ].join(" ");
}

/**
 * Namespace selectors equivalent to a ClusterRegistryCredential's selection, one per binding:
 * (names − exclude) and (selector ∧ ¬exclude). Bindings are ORed by the apiserver.
 */
export function selectorsForSelection(selection: NamespaceSelection): V1LabelSelector[] {
  const exclude = selection.exclude ?? [];
  const selectors: V1LabelSelector[] = [];
  const names = (selection.names ?? []).filter((n) => !exclude.includes(n));
  if (names.length > 0)
    selectors.push({ matchExpressions: [{ key: nameLabel, operator: "In", values: names }] });
  if (selection.selector) {
    selectors.push({
      ...(selection.selector.matchLabels ? { matchLabels: selection.selector.matchLabels } : {}),
      matchExpressions: [
        ...(selection.selector.matchExpressions ?? []),
        ...(exclude.length > 0 ? [{ key: nameLabel, operator: "NotIn", values: exclude }] : []),
      ],
    });
  }
  return selectors;
}

/** The selector for a single namespace (a RegistryCredential's own). */
export function selectorForNamespace(namespace: string): V1LabelSelector {
  return { matchExpressions: [{ key: nameLabel, operator: "In", values: [namespace] }] };
}

function policy(owner: SecretOwner, secretName: string): V1MutatingAdmissionPolicy {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingAdmissionPolicy",
    metadata: {
      name: admissionPolicyName(owner),
      labels: { [managedByLabel]: managedByValue },
      annotations: { [policyOwnerAnnotation]: ownerKey(owner) },
    },
    spec: {
      matchConstraints: {
        resourceRules: [
          { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] },
        ],
      },
      failurePolicy: "Ignore",
      reinvocationPolicy: "IfNeeded",
      mutations: [{ patchType: "JSONPatch", jsonPatch: { expression: injectionExpression(secretName) } }],
    },
  };
}

function binding(
  owner: SecretOwner,
  index: number,
  namespaceSelector: V1LabelSelector,
): V1MutatingAdmissionPolicyBinding {
  const name = admissionPolicyName(owner);
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingAdmissionPolicyBinding",
    metadata: {
      name: `${name}-${index}`,
      labels: { [managedByLabel]: managedByValue, "regcred.dev/policy": name },
    },
    spec: {
      policyName: name,
      matchResources: {
        namespaceSelector,
        objectSelector: {
          matchExpressions: [{ key: injectOptOutLabel, operator: "NotIn", values: ["false"] }],
        },
      },
    },
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

async function readOrUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Makes the apiserver inject `secretName` into new pods of the namespaces the selectors match:
 * one MutatingAdmissionPolicy and one binding per selector, created or updated only where they
 * differ; surplus bindings are deleted. Throws ApiException (e.g. 404 when the cluster has no
 * MutatingAdmissionPolicy API, before Kubernetes 1.36).
 */
export async function ensureAdmissionPolicy(
  api: AdmissionregistrationV1Api,
  owner: SecretOwner,
  secretName: string,
  namespaceSelectors: V1LabelSelector[],
): Promise<void> {
  const name = admissionPolicyName(owner);
  const wanted = policy(owner, secretName);
  const current = await readOrUndefined(() => api.readMutatingAdmissionPolicy({ name }));
  if (!current) await api.createMutatingAdmissionPolicy({ body: wanted });
  else if (
    !same(current.spec?.mutations, wanted.spec?.mutations) ||
    current.spec?.failurePolicy !== "Ignore"
  ) {
    await api.replaceMutatingAdmissionPolicy({
      name,
      body: {
        ...wanted,
        metadata: { ...wanted.metadata, resourceVersion: current.metadata?.resourceVersion },
      },
    });
  }
  const existing = await api.listMutatingAdmissionPolicyBinding({
    labelSelector: `regcred.dev/policy=${name}`,
  });
  const desired = namespaceSelectors.map((selector, index) => binding(owner, index, selector));
  for (const body of desired) {
    const found = existing.items.find((b) => b.metadata?.name === body.metadata?.name);
    if (!found) await api.createMutatingAdmissionPolicyBinding({ body });
    else if (!same(found.spec?.matchResources, body.spec?.matchResources)) {
      await api.replaceMutatingAdmissionPolicyBinding({
        name: body.metadata?.name as string,
        body: { ...body, metadata: { ...body.metadata, resourceVersion: found.metadata?.resourceVersion } },
      });
    }
  }
  for (const stale of existing.items.filter(
    (b) => !desired.some((d) => d.metadata?.name === b.metadata?.name),
  )) {
    await api.deleteMutatingAdmissionPolicyBinding({ name: stale.metadata?.name as string });
  }
}

/** Removes the policy `name` and its bindings; absent ones are fine. Throws other ApiExceptions. */
export async function deleteAdmissionPolicy(api: AdmissionregistrationV1Api, name: string): Promise<void> {
  const bindings = await readOrUndefined(() =>
    api.listMutatingAdmissionPolicyBinding({ labelSelector: `regcred.dev/policy=${name}` }),
  );
  for (const b of bindings?.items ?? []) {
    await readOrUndefined(() =>
      api.deleteMutatingAdmissionPolicyBinding({ name: b.metadata?.name as string }),
    );
  }
  await readOrUndefined(() => api.deleteMutatingAdmissionPolicy({ name }));
}
