import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCertificateAuthority, createServiceAccountSigningKey, type PemKeyPair } from "../pki.js";
import { waitFor } from "../wait.js";
import { ensureControlPlaneBinary, type ProgressReporter } from "./build.js";
import { httpsGet, httpsRequest, type TlsClientOptions } from "./http.js";
import { renderKubeconfig } from "./kubeconfig.js";
import { freePort } from "./ports.js";
import { type ManagedProcess, onTerminationSignal, startProcess } from "./processes.js";

/**
 * Controllers this control plane runs. Pods run only when a test starts a node (startNode, which
 * brings kube-scheduler); the EndpointSlices let the apiserver reach webhook Services' pods
 * (--enable-aggregator-routing, there is no kube-proxy), and the disruption controller serves
 * PodDisruptionBudgets to evictions.
 */
export const controllers = [
  "garbage-collector-controller",
  "namespace-controller",
  "serviceaccount-controller",
  "serviceaccount-token-controller",
  "root-ca-certificate-publisher-controller",
  "clusterrole-aggregation-controller",
  "deployment-controller",
  "replicaset-controller",
  "endpointslice-controller",
  "disruption-controller",
  // Quotas apply only once this controller has filled their status.
  "resourcequota-controller",
] as const;

/** Admission plugins enabled in addition to the defaults; listed to document what tests rely on. */
export const admissionPlugins = [
  "NamespaceLifecycle",
  "LimitRanger",
  "ServiceAccount",
  "PodSecurity",
  "Priority",
  "DefaultTolerationSeconds",
  "ResourceQuota",
  "MutatingAdmissionWebhook",
  "ValidatingAdmissionWebhook",
] as const;

/**
 * The audit policy: every request made with a ServiceAccount token outside kube-system, at
 * Metadata level (who, verb, resource, name, namespace, decision, code), and nothing else. Tests
 * that run the operator on the chart's RBAC read it to prove least privilege both ways.
 */
export const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    userGroups: ["system:serviceaccounts:kube-system"]
  - level: Metadata
    userGroups: ["system:serviceaccounts"]
  - level: None
`;

export interface ControlPlane {
  /** https://127.0.0.1:PORT */
  readonly server: string;
  /** The apiserver's gitVersion, e.g. "v1.37.2". */
  readonly version: string;
  /** The ServiceAccount token issuer (equal to server; its OIDC discovery is readable anonymously). */
  readonly serviceAccountIssuer: string;
  readonly caPem: string;
  readonly admin: PemKeyPair;
  /** A kubeconfig file with cluster-admin (system:masters) credentials. */
  readonly kubeconfigPath: string;
  /** Temporary directory holding certificates, etcd data and component logs. */
  readonly dir: string;
  /** The apiserver's audit log (JSON lines; see auditPolicy). */
  readonly auditLogPath: string;
  /** Writes a copy of the admin kubeconfig to path (mode 0600). */
  writeKubeconfig(path: string): void;
  /** Stops and starts kube-apiserver with the same flags, keeping etcd; for watch-recovery tests. */
  restartAPIServer(): Promise<void>;
  /** Stops every process this control plane started and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  report?: ProgressReporter;
  /** Keep the temporary directory after stop (for debugging). */
  keepDir?: boolean;
  /** Flags kube-apiserver gets after the standard ones (e.g. --runtime-config to turn an API off). */
  extraApiserverArgs?: readonly string[];
}

interface Layout {
  dir: string;
  file(name: string): string;
}

async function writePki(layout: Layout, apiserverPort: number) {
  const ca = await createCertificateAuthority("registry-credential-operator test CA");
  const serving = await ca.issue({
    commonName: "kube-apiserver",
    usage: "server",
    dnsNames: ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"],
    ipAddresses: ["127.0.0.1", "10.0.0.1"],
  });
  const admin = await ca.issue({ commonName: "admin", organizations: ["system:masters"], usage: "client" });
  const controllerManager = await ca.issue({ commonName: "system:kube-controller-manager", usage: "client" });
  const serviceAccountKey = createServiceAccountSigningKey();
  const files: Record<string, string> = {
    "ca.crt": ca.certPem,
    "apiserver.crt": serving.certPem,
    "apiserver.key": serving.keyPem,
    "sa.pub": serviceAccountKey.publicKeyPem,
    "sa.key": serviceAccountKey.privateKeyPem,
  };
  files["audit-policy.yaml"] = auditPolicy;
  for (const [name, content] of Object.entries(files))
    writeFileSync(layout.file(name), content, { mode: 0o600 });
  const server = `https://127.0.0.1:${apiserverPort}`;
  writeFileSync(
    layout.file("admin.kubeconfig"),
    renderKubeconfig(server, ca.certPem, {
      clientCertPem: admin.certPem,
      clientKeyPem: admin.keyPem,
    }),
    { mode: 0o600 },
  );
  writeFileSync(
    layout.file("controller-manager.kubeconfig"),
    renderKubeconfig(server, ca.certPem, {
      clientCertPem: controllerManager.certPem,
      clientKeyPem: controllerManager.keyPem,
    }),
    { mode: 0o600 },
  );
  return { ca, admin, server };
}

function apiserverArgs(layout: Layout, ports: { etcd: number; apiserver: number }, issuer: string): string[] {
  return [
    "kube-apiserver",
    `--etcd-servers=http://127.0.0.1:${ports.etcd}`,
    `--cert-dir=${layout.file("apiserver-certs")}`,
    `--tls-cert-file=${layout.file("apiserver.crt")}`,
    `--tls-private-key-file=${layout.file("apiserver.key")}`,
    `--client-ca-file=${layout.file("ca.crt")}`,
    `--secure-port=${ports.apiserver}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    // Loopback addresses may not back the kubernetes Service; nothing here needs its endpoints.
    "--endpoint-reconciler-type=none",
    // A webhook Service is called at its endpoints' pod addresses: there is no kube-proxy.
    "--enable-aggregator-routing=true",
    "--authorization-mode=RBAC",
    `--enable-admission-plugins=${admissionPlugins.join(",")}`,
    "--allow-privileged=true",
    `--service-account-issuer=${issuer}`,
    `--service-account-key-file=${layout.file("sa.pub")}`,
    `--service-account-signing-key-file=${layout.file("sa.key")}`,
    "--service-cluster-ip-range=10.0.0.0/24",
    `--audit-policy-file=${layout.file("audit-policy.yaml")}`,
    `--audit-log-path=${layout.file("audit.log")}`,
    "--audit-log-format=json",
    "--audit-log-mode=blocking",
    "--profiling=false",
  ];
}

function controllerManagerArgs(layout: Layout, port: number): string[] {
  const kubeconfig = layout.file("controller-manager.kubeconfig");
  return [
    "kube-controller-manager",
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    `--cert-dir=${layout.file("controller-manager-certs")}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${port}`,
    `--controllers=${controllers.join(",")}`,
    "--leader-elect=false",
    "--use-service-account-credentials=true",
    `--service-account-private-key-file=${layout.file("sa.key")}`,
    `--root-ca-file=${layout.file("ca.crt")}`,
    // Keep the controller manager from being the bottleneck of fan-out tests and benchmarks.
    "--kube-api-qps=200",
    "--kube-api-burst=400",
    "--profiling=false",
  ];
}

/**
 * Lets anonymous clients read the ServiceAccount issuer's OIDC discovery document and JWKS, as on
 * EKS and GKE, where cloud STS services verify projected tokens against them.
 */
async function allowAnonymousIssuerDiscovery(server: string, tls: TlsClientOptions): Promise<void> {
  const response = await httpsRequest(
    "POST",
    `${server}/apis/rbac.authorization.k8s.io/v1/clusterrolebindings`,
    tls,
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "service-account-issuer-discovery-anonymous" },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: "system:service-account-issuer-discovery",
      },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "system:unauthenticated" }],
    },
  );
  if (response.status !== 201)
    throw new Error(`creating the issuer discovery binding failed: ${response.status} ${response.body}`);
}

/**
 * Starts etcd, kube-apiserver and kube-controller-manager on random loopback ports in a fresh
 * temporary directory, and resolves once /readyz passes, the controller manager is healthy and
 * the `default` ServiceAccount exists in `default`. Builds the binary first when needed.
 * On failure every started process is stopped and the error carries the failing component's log.
 */
export async function startControlPlane(options: StartOptions = {}): Promise<ControlPlane> {
  const report = options.report ?? (() => {});
  const started = Date.now();
  const binary = await ensureControlPlaneBinary(report);
  const dir = mkdtempSync(join(tmpdir(), "regcred-controlplane-"));
  const layout: Layout = { dir, file: (name) => join(dir, name) };
  mkdirSync(layout.file("etcd"), { mode: 0o700 });

  const ports = {
    etcd: await freePort(),
    etcdPeer: await freePort(),
    apiserver: await freePort(),
    controllerManager: await freePort(),
  };
  const { ca, admin, server } = await writePki(layout, ports.apiserver);
  const adminTls = { ca: ca.certPem, cert: admin.certPem, key: admin.keyPem };
  const processes: ManagedProcess[] = [];
  let apiserver: ManagedProcess;
  let stopped = false;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    unregister();
    // Reverse start order: the controller manager and apiserver go before etcd.
    for (const proc of [...processes].reverse()) await proc.stop();
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
  };
  const unregister = onTerminationSignal(stop);
  const died = (proc: ManagedProcess) => () =>
    proc.hasExited() ? `${proc.name} exited early; last log lines:\n${proc.logTail()}` : undefined;

  const startAPIServer = async () => {
    apiserver = startProcess(
      "kube-apiserver",
      binary,
      [...apiserverArgs(layout, ports, server), ...(options.extraApiserverArgs ?? [])],
      layout.file("kube-apiserver.log"),
    );
    processes.push(apiserver);
    await waitFor(
      "kube-apiserver /readyz",
      async () => (await httpsGet(`${server}/readyz`, adminTls)).status === 200,
      { timeoutMs: 120_000, abort: died(apiserver) },
    );
  };

  try {
    report("starting etcd");
    const etcd = startProcess(
      "etcd",
      binary,
      [
        "etcd",
        `--data-dir=${layout.file("etcd")}`,
        `--listen-client-url=http://127.0.0.1:${ports.etcd}`,
        `--listen-peer-url=http://127.0.0.1:${ports.etcdPeer}`,
      ],
      layout.file("etcd.log"),
    );
    processes.push(etcd);
    await waitFor("etcd /health", async () => (await fetch(`http://127.0.0.1:${ports.etcd}/health`)).ok, {
      timeoutMs: 30_000,
      abort: died(etcd),
    });

    report("starting kube-apiserver");
    await startAPIServer();
    const version = (
      JSON.parse((await httpsGet(`${server}/version`, adminTls)).body) as { gitVersion: string }
    ).gitVersion;

    report("starting kube-controller-manager");
    const controllerManager = startProcess(
      "kube-controller-manager",
      binary,
      controllerManagerArgs(layout, ports.controllerManager),
      layout.file("kube-controller-manager.log"),
    );
    processes.push(controllerManager);
    await waitFor(
      "kube-controller-manager /healthz",
      async () =>
        (
          await httpsGet(`https://127.0.0.1:${ports.controllerManager}/healthz`, {
            ...adminTls,
            insecure: true,
          })
        ).status === 200,
      { timeoutMs: 60_000, abort: died(controllerManager) },
    );
    await waitFor(
      "the default ServiceAccount (created by the controller manager)",
      async () =>
        (await httpsGet(`${server}/api/v1/namespaces/default/serviceaccounts/default`, adminTls)).status ===
        200,
      { timeoutMs: 60_000, abort: died(controllerManager) },
    );
    await allowAnonymousIssuerDiscovery(server, adminTls);
    report(
      `control plane ready in ${((Date.now() - started) / 1000).toFixed(1)} s: Kubernetes ${version} at ${server}`,
    );

    return {
      server,
      version,
      serviceAccountIssuer: server,
      caPem: ca.certPem,
      admin,
      kubeconfigPath: layout.file("admin.kubeconfig"),
      dir,
      auditLogPath: layout.file("audit.log"),
      writeKubeconfig(path) {
        writeFileSync(
          path,
          renderKubeconfig(server, ca.certPem, { clientCertPem: admin.certPem, clientKeyPem: admin.keyPem }),
          { mode: 0o600 },
        );
      },
      async restartAPIServer() {
        await apiserver.stop();
        processes.splice(processes.indexOf(apiserver), 1);
        await startAPIServer();
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
