import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import * as k8s from "@kubernetes/client-node";
import { testEnvironmentKeys } from "./jest/environment.js";

/** The admin KubeConfig of the control plane started by the integration global setup. */
export function adminKubeConfig(): k8s.KubeConfig {
  const path = process.env[testEnvironmentKeys.kubeconfig];
  if (!path) {
    throw new Error(
      `${testEnvironmentKeys.kubeconfig} is not set: integration tests must run under the integration jest project, whose global setup starts the control plane`,
    );
  }
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

/** A KubeConfig for the same cluster that authenticates with a bearer token only. */
export function tokenKubeConfig(admin: k8s.KubeConfig, token: string): k8s.KubeConfig {
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error("admin kubeconfig has no current cluster");
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: "token", token }],
    contexts: [{ name: "token", cluster: cluster.name, user: "token" }],
    currentContext: "token",
  });
  return kc;
}

/** A DNS-1123 name that no other test uses: prefix plus random hex. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

/** The HTTP status of a client-node ApiException, or undefined for any other error. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof k8s.ApiException ? error.code : undefined;
}

/** The message of a Kubernetes Status response body, or the raw body when it is not one. */
function statusMessage(body: unknown): string {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    return typeof parsed.message === "string" ? parsed.message : text;
  } catch {
    return text;
  }
}

/**
 * Resolves with the HTTP status and Status message a request failed with; rejects if the request
 * succeeded or failed without an HTTP status.
 */
export async function expectStatus(request: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await request;
  } catch (error) {
    if (error instanceof k8s.ApiException) return { status: error.code, message: statusMessage(error.body) };
    throw error;
  }
  throw new Error("expected the request to fail, but it succeeded");
}

/** Creates a namespace with the given labels; returns its name. */
export async function createNamespace(
  core: k8s.CoreV1Api,
  prefix: string,
  labels: Record<string, string> = {},
): Promise<string> {
  const name = uniqueName(prefix);
  await core.createNamespace({ body: { metadata: { name, labels } } });
  return name;
}

/**
 * The control plane as an OIDC issuer of ServiceAccount tokens: its URL (the tests'
 * --service-account-issuer) and the CA its discovery document and JWKS are served under.
 */
export function controlPlaneIssuer(config: k8s.KubeConfig): { issuer: string; ca: string } {
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error("no current cluster");
  const ca = cluster.caData
    ? Buffer.from(cluster.caData, "base64").toString()
    : readFileSync(cluster.caFile ?? "", "utf8");
  return { issuer: cluster.server, ca };
}
