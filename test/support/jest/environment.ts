/** Environment variables through which global setup hands the control plane to test workers. */
export const testEnvironmentKeys = {
  kubeconfig: "REGCRED_TEST_KUBECONFIG",
  version: "REGCRED_TEST_KUBERNETES_VERSION",
  auditLog: "REGCRED_TEST_AUDIT_LOG",
} as const;
