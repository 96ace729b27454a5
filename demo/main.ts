// `npm run demo`: the operator end to end on this machine, with no cluster and no cloud account.
// A local control plane, a local ECR that issues 60-second tokens, the operator, example resources,
// and a live table of what it does. As root it also starts a real node (demo/node.ts): a pod pulls
// the private image with the operator's Secret, and a second pod pulls after a rotation. Ctrl-C
// stops everything (`--no-node` leaves the node out). `--duration N` runs N seconds, prints the final table and exits non-zero unless
// every credential is Ready, a refresh was seen and (with a node) both pods run.
import { parseArgs } from "node:util";
import * as k8s from "@kubernetes/client-node";
import type { ClusterRegistryCredential, RegistryCredential } from "../src/api/v1alpha1.js";
import { createLogger } from "../src/logging/logger.js";
import { startOperator } from "../src/operator.js";
import { defaultAzureClientFactories } from "../src/providers/acr/provider.js";
import { defaultAwsClientFactories } from "../src/providers/ecr/provider.js";
import { defaultGoogleClientFactories } from "../src/providers/gar/provider.js";
import { parseMintRates } from "../src/tokens/mint-rates.js";
import { startFakeAzureCloud } from "../test/fakes/azure/azure-cloud.js";
import { FakeEcrServer } from "../test/fakes/ecr/fake-ecr-server.js";
import { startFakeGoogleCloud } from "../test/fakes/google/google-cloud.js";
import { makeServiceAccountKey } from "../test/fakes/google/service-account-key.js";
import { startControlPlane } from "../test/support/controlplane/controlplane.js";
import { onTerminationSignal } from "../test/support/controlplane/processes.js";
import { installCrds } from "../test/support/crds.js";
import {
  awsKeysSecret,
  ClusterRegistryCredentials,
  clusterRegistryCredential,
  RegistryCredentials,
  registryCredential,
} from "../test/support/fixtures.js";
import { startDemoNode } from "./node.js";
import { type DemoPod, renderTable } from "./render.js";

const { values } = parseArgs({
  options: {
    duration: { type: "string" },
    kubeconfig: { type: "string" },
    // --no-node: no real node even where the machine allows one.
    node: { type: "boolean", default: true },
  },
  allowNegative: true,
});
const durationMs = values.duration ? Number(values.duration) * 1000 : undefined;
const interactive = durationMs === undefined && process.stdout.isTTY;
const say = (line: string) => console.error(`[demo] ${line}`);

const keys = {
  accessKeyId: "AKIADEMOOPERATOR0001",
  secretAccessKey: "demo-secret-access-key/not-a-real-one",
};
const cluster = await startControlPlane({ report: say });
if (values.kubeconfig) cluster.writeKubeconfig(values.kubeconfig);
const ecr = await new FakeEcrServer("eu-west-1").start();
ecr.registerCredentials(keys).setTokenLifetime(60_000);
say(`local ECR at ${ecr.endpoint} issues tokens that expire after 60 s`);
const google = await startFakeGoogleCloud({ tokenLifetimeSeconds: 60 });
const gcpKey = makeServiceAccountKey({ tokenUri: google.oauth.tokenUrl });
google.oauth.registerKey(gcpKey.clientEmail, gcpKey.publicKey);
say(`local Google token endpoint at ${google.oauth.tokenUrl} issues access tokens that expire after 60 s`);
const azureApp = {
  tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
  clientId: "0a1b2c3d-0000-4000-8000-00000000d3e0",
  principalId: "demo-identity",
  secret: "demo-entra-client-secret/not-a-real-one",
};
const azure = await startFakeAzureCloud({
  applications: [azureApp],
  registries: [
    {
      name: "contoso.azurecr.io",
      tenantId: azureApp.tenantId,
      pullers: [azureApp.principalId],
      refreshTokenLifetimeSeconds: 60,
    },
  ],
});
say(`local Entra ID at ${azure.entra.url} and ACR login server whose refresh tokens expire after 60 s`);

const kc = new k8s.KubeConfig();
kc.loadFromFile(cluster.kubeconfigPath);
const core = kc.makeApiClient(k8s.CoreV1Api);
await installCrds(kc);
for (const name of ["regcred-system", "team-a", "team-b"]) {
  await core.createNamespace({
    body: { metadata: { name, labels: name.startsWith("team") ? { team: name } : {} } },
  });
}
await core.createNamespacedSecret({ namespace: "regcred-system", body: awsKeysSecret("ecr-keys", keys) });
await core.createNamespacedSecret({ namespace: "team-a", body: awsKeysSecret("ecr-keys", keys) });
await core.createNamespacedSecret({
  namespace: "team-b",
  body: { metadata: { name: "gcp-key" }, stringData: { "credentials.json": gcpKey.text } },
});
await core.createNamespacedSecret({
  namespace: "team-b",
  body: { metadata: { name: "azure-app" }, stringData: { AZURE_CLIENT_SECRET: azureApp.secret } },
});

const logs: string[] = [];
const operator = await startOperator(
  {
    operatorNamespace: "regcred-system",
    pullFailureRemintMs: 5 * 60_000,
    watchPullFailures: true,
    mintRates: parseMintRates(undefined),
    watchReferencedSecrets: true,
    operatorKeySecret: "registry-credential-operator-key",
    allowAmbientGoogleAccessTokens: false,
    ambientIdentityNamespaces: ["regcred-system"],
    metricsAddress: { host: "127.0.0.1", port: 0 },
    logLevel: "info",
    concurrency: 8,
    kubeApiQps: 50,
    kubeApiBurst: 100,
    google: google.endpoints,
    azure: {},
  },
  createLogger({ level: "info", destination: { write: (line: string) => logs.push(line) } }),
  {
    kubeConfig: kc,
    processMetrics: false,
    providers: {
      aws: defaultAwsClientFactories({ ecrEndpoint: ecr.endpoint }),
      google: defaultGoogleClientFactories(google.endpoints),
      azure: defaultAzureClientFactories(azure.options),
    },
  },
);
say(`operator running; metrics at http://127.0.0.1:${operator.address.port}/metrics`);

const ecrHost = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
if (!values.node) say("no node: --no-node");
const node = values.node ? await startDemoNode(cluster.kubeconfigPath, ecr, ecrHost, say) : undefined;

const stop = async () => {
  await node?.stop();
  await operator.stop();
  await ecr.close();
  await google.close();
  await azure.close();
  await cluster.stop();
};
onTerminationSignal(async () => {
  say("stopping everything");
  await stop();
});

const ecrSource = { region: "eu-west-1", auth: { secretRef: { name: "ecr-keys" } } };
const refresh = { minInterval: "10s" };
await new ClusterRegistryCredentials(kc).create(
  clusterRegistryCredential("ecr-all-teams", {
    sources: [
      {
        ecr: {
          ...ecrSource,
          auth: { secretRef: { ...ecrSource.auth.secretRef, namespace: "regcred-system" } },
        },
      },
    ],
    namespaces: { selector: { matchExpressions: [{ key: "team", operator: "Exists" }] } },
    serviceAccounts: { names: ["default"] },
    secret: { name: "ecr-pull" },
    podAdmission: { enabled: true },
    refresh,
  }),
);
await new RegistryCredentials(kc, "team-a").create(
  registryCredential("team-a-only", { sources: [{ ecr: ecrSource }], refresh }),
);
await new RegistryCredentials(kc, "team-b").create(
  registryCredential("acr", {
    sources: [
      {
        acr: {
          registries: ["contoso.azurecr.io"],
          auth: {
            secretRef: { name: "azure-app", tenantId: azureApp.tenantId, clientId: azureApp.clientId },
          },
        },
      },
    ],
    refresh,
  }),
);
await new RegistryCredentials(kc, "team-b").create(
  registryCredential("artifact-registry", {
    sources: [
      { gar: { registries: ["europe-west1-docker.pkg.dev"], auth: { secretRef: { name: "gcp-key" } } } },
    ],
    refresh,
  }),
);
say(
  "applied ClusterRegistryCredential ecr-all-teams (namespaces with a team label), RegistryCredential team-a/team-a-only (ECR), team-b/artifact-registry (Artifact Registry) and team-b/acr (Azure Container Registry)",
);

// The apiserver loads a new admission policy within a second or two; wait until it injects.
const injects = async () => {
  try {
    const probe = await core.createNamespacedPod({
      namespace: "team-b",
      // A pod naming its own pull secret: the ServiceAccount plugin then adds none, so only the
      // admission policy can add ecr-pull.
      body: {
        metadata: { generateName: "probe-" },
        spec: { imagePullSecrets: [{ name: "probe" }], containers: [{ name: "p", image: "probe" }] },
      },
      dryRun: "All",
    });
    return (probe.spec?.imagePullSecrets ?? []).some((r) => r.name === "ecr-pull");
  } catch {
    return false;
  }
};
for (let attempt = 0; attempt < 300 && !(await injects()); attempt++)
  await new Promise((r) => setTimeout(r, 100));

// A namespace created now, and a pod in it at once: it is admitted with the pull Secret.
await core.createNamespace({ body: { metadata: { name: "team-c", labels: { team: "team-c" } } } });
/** Creates pod team-c/`name` of the private image (pulled Always); retries until admitted. */
const createPod = async (name: string): Promise<DemoPod | undefined> => {
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      const created = await core.createNamespacedPod({
        namespace: "team-c",
        body: {
          metadata: { name },
          spec: {
            automountServiceAccountToken: false,
            containers: [{ name: "web", image: `${ecrHost}/app:1`, imagePullPolicy: "Always" }],
          },
        },
      });
      return {
        namespace: "team-c",
        name,
        imagePullSecrets: (created.spec?.imagePullSecrets ?? []).map((r) => r.name as string),
        state: "Pending",
      };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return undefined;
};
const podState = async (name: string): Promise<string> => {
  const status = (await core.readNamespacedPod({ namespace: "team-c", name }).catch(() => undefined))?.status;
  const container = status?.containerStatuses?.[0]?.state;
  return container?.running ? "Running" : (container?.waiting?.reason ?? status?.phase ?? "Pending");
};
const pods: DemoPod[] = [];
const first = await createPod("web");
if (first) pods.push(first);

const objects = kc.makeApiClient(k8s.CustomObjectsApi);
const refreshes = new Map<string, number>();
const lastRefresh = new Map<string, string>();
const started = Date.now();
let frame: string[] = [];
for (;;) {
  const [rcs, crcs] = await Promise.all([
    objects.listClusterCustomObject({
      group: "regcred.dev",
      version: "v1alpha1",
      plural: "registrycredentials",
    }),
    objects.listClusterCustomObject({
      group: "regcred.dev",
      version: "v1alpha1",
      plural: "clusterregistrycredentials",
    }),
  ]);
  const credentials = [
    ...((crcs as { items: ClusterRegistryCredential[] }).items ?? []),
    ...((rcs as { items: RegistryCredential[] }).items ?? []),
  ];
  for (const rc of credentials) {
    const id = rc.metadata.namespace
      ? `${rc.kind}/${rc.metadata.namespace}/${rc.metadata.name}`
      : `${rc.kind}/${rc.metadata.name}`;
    const last = rc.status?.lastRefreshTime;
    if (last && lastRefresh.has(id) && lastRefresh.get(id) !== last)
      refreshes.set(id, (refreshes.get(id) ?? 0) + 1);
    if (last) lastRefresh.set(id, last);
  }
  // With a node: once the fanned-out Secret has rotated, a second pod pulls with the new token.
  if (node && pods.length === 1 && (refreshes.get("ClusterRegistryCredential/ecr-all-teams") ?? 0) > 0) {
    const second = await createPod("web-after-rotation");
    if (second) pods.push(second);
  }
  if (node) for (const pod of pods) pod.state = await podState(pod.name);
  frame = renderTable({
    now: new Date(),
    credentials,
    refreshes,
    mints: ecr.calls + google.oauth.calls,
    pods,
    ...(node ? { node: { tokensAdmitted: node.tokensAdmitted(), refused: node.refused() } } : {}),
  });
  if (interactive) process.stdout.write(`\x1b[2J\x1b[H${frame.join("\n")}\n\nPress Ctrl-C to stop.\n`);
  if (durationMs !== undefined && Date.now() - started >= durationMs) break;
  await new Promise((resolve) => setTimeout(resolve, 1000));
}

process.stdout.write(`${frame.join("\n")}\n`);
const allReady = frame.length > 1 && !frame.slice(1).some((line) => /\s(False|-)\s/.test(line.slice(44, 52)));
const refreshed = [...refreshes.values()].some((n) => n > 0);
const podCovered = pods[0]?.imagePullSecrets.includes("ecr-pull") ?? false;
// With a node, both pods (before and after a rotation) ran with the operator's Secret, through a
// registry that refused every expired or unknown token.
const pulled =
  !node || (pods.length === 2 && pods.every((p) => p.state === "Running") && node.refused() === 0);
await stop();
if (!allReady || !refreshed || !podCovered || !pulled) {
  say(
    `demo check failed: ready=${allReady} refreshed=${refreshed} podCovered=${podCovered} pulled=${pulled}`,
  );
  process.exit(1);
}
say(
  node
    ? "every credential Ready, tokens refreshed before expiry, and pods pulled the private image on a real node before and after a rotation"
    : "every credential Ready, tokens refreshed before expiry, and the first pod carried the pull Secret",
);
process.exit(0);
