/** Credentials of one kubeconfig user: a client certificate or a bearer token. */
export type KubeconfigUser = { clientCertPem: string; clientKeyPem: string } | { token: string };

/**
 * Renders a single-context kubeconfig (JSON, which every kubeconfig reader accepts as YAML).
 * The result holds credentials: write it with mode 0600.
 */
export function renderKubeconfig(
  server: string,
  caPem: string,
  user: KubeconfigUser,
  name = "controlplane",
): string {
  const b64 = (pem: string) => Buffer.from(pem).toString("base64");
  const credentials =
    "token" in user
      ? { token: user.token }
      : { "client-certificate-data": b64(user.clientCertPem), "client-key-data": b64(user.clientKeyPem) };
  return `${JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name, cluster: { server, "certificate-authority-data": b64(caPem) } }],
      users: [{ name, user: credentials }],
      contexts: [{ name, context: { cluster: name, user: name } }],
      "current-context": name,
    },
    null,
    2,
  )}\n`;
}
