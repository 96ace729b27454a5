// The narrow ports through which the credential pipeline reaches the apiserver: exactly the calls
// it makes, so a unit-test fake implements these and nothing else (as the elector's LeaseApi does).
import type { CoreV1Api, CustomObjectsApi, PolicyV1Api } from "@kubernetes/client-node";

/** Managed Secrets: read, create, replace, delete. */
export type SecretApi = Pick<
  CoreV1Api,
  "readNamespacedSecret" | "createNamespacedSecret" | "replaceNamespacedSecret" | "deleteNamespacedSecret"
>;

/** ServiceAccounts: patching imagePullSecrets, creating `default`. */
export type ServiceAccountApi = Pick<
  CoreV1Api,
  "readNamespacedServiceAccount" | "createNamespacedServiceAccount" | "patchNamespacedServiceAccount"
>;

/** What a provider may read and request through SourceAccess. */
export type ReferenceApi = Pick<
  CoreV1Api,
  "readNamespacedSecret" | "readNamespacedServiceAccount" | "createNamespacedServiceAccountToken"
>;

/** core/v1 Events. */
export type EventApi = Pick<CoreV1Api, "createNamespacedEvent">;

/** Finalizers and status of the credential resources. */
export type CredentialObjectsApi = Pick<
  CustomObjectsApi,
  | "patchNamespacedCustomObject"
  | "patchClusterCustomObject"
  | "patchNamespacedCustomObjectStatus"
  | "patchClusterCustomObjectStatus"
>;

/** Evicting pods stuck without their Secret (the Eviction API honours PodDisruptionBudgets). */
export type EvictionApi = Pick<CoreV1Api, "createNamespacedPodEviction">;

/** PodDisruptionBudgets, read before evicting (the Eviction API ignores them for Pending pods). */
export type DisruptionBudgetApi = Pick<PolicyV1Api, "listNamespacedPodDisruptionBudget">;

/** Every apiserver call a credential sync or a pull-failure sync makes. */
export interface KubePort {
  core: SecretApi & ServiceAccountApi & ReferenceApi & EventApi & EvictionApi;
  objects: CredentialObjectsApi;
  /** Absent in unit fakes that never evict: no pod is evicted then. */
  policy?: DisruptionBudgetApi;
}
