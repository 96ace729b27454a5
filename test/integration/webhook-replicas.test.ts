// Two operator replicas with leader election and the pod admission webhook, as the chart runs them:
// the apiserver's admission calls go through a load balancer to both replicas (a Service does that
// in a cluster), pods are created through the apiserver, and every pod gets the Secret whichever
// replica answers, also right after the leader is gone. Security review finding 2.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, request as httpsRequest, type Server } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import type { OperatorConfig } from "../../src/config.js";
import { FakeEcrServer } from "../fakes/ecr/fake-ecr-server.js";
import { freePort } from "../support/controlplane/ports.js";
import {
  awsKeysSecret,
  ClusterRegistryCredentials,
  clusterRegistryCredential,
  ecrWithStaticKeys,
  fakeAccessKey,
  RegistryCredentials,
  registryCredential,
} from "../support/fixtures.js";
import { adminKubeConfig, createNamespace, uniqueName } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/test-operator.js";
import { waitFor } from "../support/wait.js";

const timeout = 180_000;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let admission: k8s.AdmissionregistrationV1Api;
let ecr: FakeEcrServer;
const replicas: TestOperator[] = [];
let balancer: RoundRobin | undefined;
const configurationName = uniqueName("regcred-ha");

/**
 * An HTTPS load balancer in front of the replicas' webhook servers, presenting the serving
 * certificate they share (so the apiserver trusts it as it trusts them) and sending each request
 * to the next live backend in turn.
 */
class RoundRobin {
  private next = 0;
  readonly served = new Map<number, number>();
  private readonly server: Server;

  constructor(
    tls: { cert: string; key: string },
    private backends: number[],
  ) {
    this.server = createServer(tls, (req, res) => this.forward(req, res));
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve) => this.server.listen(port, "127.0.0.1", resolve));
  }

  /** Takes a backend out of rotation, as a Service does when its pod stops being ready. */
  remove(port: number): void {
    this.backends = this.backends.filter((b) => b !== port);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const port = this.backends[this.next++ % this.backends.length] as number;
    this.served.set(port, (this.served.get(port) ?? 0) + 1);
    const upstream = httpsRequest(
      {
        host: "127.0.0.1",
        port,
        path: req.url,
        method: req.method,
        headers: req.headers,
        rejectUnauthorized: false,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  }
}

beforeAll(async () => {
  kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
  ecr = await new FakeEcrServer("eu-west-1").start();
  ecr.registerCredentials(fakeAccessKey);
});

afterAll(async () => {
  for (const replica of replicas) await replica.stop().catch(() => {});
  await balancer?.close();
  await admission.deleteMutatingWebhookConfiguration({ name: configurationName }).catch(() => {});
  await ecr?.close();
}, 60_000);

/** Creates a pod through the apiserver (retrying until the namespace's default ServiceAccount exists). */
async function createPod(namespace: string, name: string): Promise<k8s.V1Pod> {
  let pod: k8s.V1Pod | undefined;
  await waitFor(`pod ${namespace}/${name} admitted`, async () => {
    try {
      pod = await core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name },
          spec: {
            containers: [{ name: "app", image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1" }],
          },
        },
      });
      return true;
    } catch (error) {
      if (error instanceof k8s.ApiException && /serviceaccount/i.test(String(error.body))) return false;
      throw error;
    }
  });
  return pod as k8s.V1Pod;
}

const pullSecretsOf = (pod: k8s.V1Pod) => (pod.spec?.imagePullSecrets ?? []).map((s) => s.name).sort();
const patched = (replica: TestOperator) =>
  replica.metric("regcred_webhook_admissions_total", { result: "patched" });

describe("the pod admission webhook on two replicas behind one Service", () => {
  it(
    "injects alike from the leader and the follower, and right after the leader is gone",
    async () => {
      const operatorNamespace = await createNamespace(core, "ha-op");
      const tenant = await createNamespace(core, "ha-tenant", { "ha-team": configurationName });
      await core.createNamespacedSecret({ namespace: tenant, body: awsKeysSecret("aws-keys") });
      await core.createNamespacedSecret({ namespace: operatorNamespace, body: awsKeysSecret("aws-keys") });
      const [balancerPort, ...ports] = [await freePort(), await freePort(), await freePort()] as [
        number,
        number,
        number,
      ];
      const config = (port: number): Partial<OperatorConfig> => ({
        operatorNamespace,
        ambientIdentityNamespaces: [operatorNamespace],
        leaderElection: {
          namespace: operatorNamespace,
          name: "ha-lease",
          leaseDurationMs: 4000,
          renewDeadlineMs: 3000,
          retryPeriodMs: 500,
        },
        webhook: {
          host: "127.0.0.1",
          port,
          url: `https://127.0.0.1:${balancerPort}/mutate-pods`,
          configurationName,
        },
      });
      for (const port of ports) {
        replicas.push(
          await startTestOperator({ kc, aws: { ecrEndpoint: ecr.endpoint }, config: config(port) }),
        );
        if (replicas.length === 1)
          await waitFor("the first replica to lead", async () => !!replicas[0]?.leaderElection?.isLeader());
      }
      const [leader, follower] = replicas as [TestOperator, TestOperator];
      expect(follower.leaderElection?.isLeader()).toBe(false);

      const tlsSecret = await core.readNamespacedSecret({
        namespace: operatorNamespace,
        name: `${configurationName}-webhook-tls`,
      });
      const text = (key: string) => Buffer.from(tlsSecret.data?.[key] ?? "", "base64").toString("utf8");
      balancer = new RoundRobin({ cert: text("tls.crt"), key: text("tls.key") }, ports);
      await balancer.listen(balancerPort);

      await new RegistryCredentials(kc, tenant).create(
        registryCredential("pull", {
          sources: [ecrWithStaticKeys("aws-keys")],
          podAdmission: { enabled: true, mechanism: "Webhook" },
        }),
      );
      await new RegistryCredentials(kc, tenant).waitForReady("pull");
      const crcName = uniqueName("ha-crc");
      const clusterCredentials = new ClusterRegistryCredentials(kc);
      await clusterCredentials.create(
        clusterRegistryCredential(crcName, {
          sources: [ecrWithStaticKeys("aws-keys")],
          namespaces: { selector: { matchLabels: { "ha-team": configurationName } } },
          secret: { name: "platform-pull" },
          podAdmission: { enabled: true, mechanism: "Webhook" },
        }),
      );
      await clusterCredentials.waitFor(crcName, (c) => c.status?.namespaces?.inSync === 1);
      // The apiserver picks up a new webhook configuration asynchronously.
      await waitFor("the apiserver to call the webhook", async () => {
        const probe = await core.createNamespacedPod({
          namespace: tenant,
          dryRun: "All",
          body: { metadata: { name: "probe" }, spec: { containers: [{ name: "p", image: "probe" }] } },
        });
        return pullSecretsOf(probe).includes("pull");
      });

      const pods = await Promise.all(Array.from({ length: 20 }, (_, i) => createPod(tenant, `pod-${i}`)));
      for (const pod of pods) expect(pullSecretsOf(pod)).toEqual(["platform-pull", "pull"]);
      expect(await patched(leader)).toBeGreaterThan(0);
      expect(await patched(follower)).toBeGreaterThan(0);

      // The leader goes away; the load balancer stops sending to it, as a Service would.
      balancer.remove(ports[0]);
      await leader.stop();
      const fresh = await createNamespace(core, "ha-fresh", { "ha-team": configurationName });
      const afterFailover = await Promise.all([
        ...Array.from({ length: 5 }, (_, i) => createPod(tenant, `after-${i}`)),
        createPod(fresh, "first"),
      ]);
      for (const pod of afterFailover.slice(0, 5))
        expect(pullSecretsOf(pod)).toEqual(["platform-pull", "pull"]);
      // A namespace created a moment ago, before any controller has written to it.
      expect(pullSecretsOf(afterFailover[5] as k8s.V1Pod)).toEqual(["platform-pull"]);
      await clusterCredentials.delete(crcName);
    },
    timeout,
  );
});
