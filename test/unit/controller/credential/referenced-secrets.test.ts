// A change of a Secret a source reads (its keys) re-runs the credentials that read it at once,
// whatever their refresh interval; a change of any other Secret runs nothing. Issue 13, point 3.
import { afterEach, describe, expect, it } from "@jest/globals";
import type { V1Secret } from "@kubernetes/client-node";
import type { CredentialSource } from "../../../../src/api/v1alpha1.js";
import type { AwsCredentials } from "../../../../src/providers/ecr/clients.js";
import { authsOf, FakeCluster } from "../../../fakes/kube/fake-cluster.js";
import { clusterCredential, ecrHost, fakeEcr, registryCredential } from "../fixtures.js";
import { operatorNamespace, operatorProcess } from "../operator-process.js";

type Controller = { start(): void; stop(): Promise<void>; queue: { idle(): Promise<void> } };
const running: Controller[] = [];
afterEach(async () => {
  for (const controller of running.splice(0)) await controller.stop();
});

const host = ecrHost("eu-west-1");
const keysSource = (name = "aws-keys"): CredentialSource => ({
  ecr: { region: "eu-west-1", auth: { secretRef: { name } } },
});
const refresh = { minInterval: "2h", maxInterval: "6h" };

/** A Secret of AWS keys; the access key id is `label` padded with zeros to the 20 characters AWS uses. */
function keysSecret(namespace: string, name: string, label: string): V1Secret {
  const b64 = (text: string) => Buffer.from(text).toString("base64");
  const accessKeyId = label.padEnd(20, "0");
  return {
    metadata: { namespace, name },
    data: { AWS_ACCESS_KEY_ID: b64(accessKeyId), AWS_SECRET_ACCESS_KEY: b64(`secret-of-${accessKeyId}`) },
  };
}

/** The label of the access key of every GetAuthorizationToken call, in order. */
function keysUsed(ecr: ReturnType<typeof fakeEcr>): string[] {
  return ecr.aws
    .sentFor("GetAuthorizationToken")
    .map((sent) => (sent.client.credentials as AwsCredentials | undefined)?.accessKeyId ?? "ambient")
    .map((id) => id.replace(/0+$/, ""));
}

async function started(controller: Controller): Promise<Controller> {
  running.push(controller);
  controller.start();
  await controller.queue.idle();
  return controller;
}

/** Applies each event and lets the controller settle after it. */
async function settleAfter(controller: Controller, events: (() => void)[]): Promise<void> {
  for (const event of events) {
    event();
    await controller.queue.idle();
  }
}

const times = (n: number, make: (i: number) => () => void) => Array.from({ length: n }, (_, i) => make(i));

describe("a RegistryCredential whose keys come from a Secret", () => {
  async function ready(sources: CredentialSource[] = [keysSource()]) {
    const cluster = new FakeCluster();
    cluster.addNamespace("team-a");
    cluster.putForeignSecret(keysSecret("team-a", "aws-keys", "AKIAFIRST"));
    cluster.applyRegistryCredential(registryCredential("team-a", "pull", { sources, refresh }));
    const ecr = fakeEcr();
    const process = operatorProcess(cluster, { aws: ecr.aws });
    const controller = await started(process.registryCredentialController());
    return { cluster, ecr, process, controller };
  }

  it("mints with the new keys and rewrites its Secret at once when the Secret is updated", async () => {
    const { cluster, ecr, controller } = await ready();
    expect(keysUsed(ecr)).toEqual(["AKIAFIRST"]);
    await settleAfter(controller, [
      () => cluster.putForeignSecret(keysSecret("team-a", "aws-keys", "AKIASECOND")),
    ]);
    expect(keysUsed(ecr)).toEqual(["AKIAFIRST", "AKIASECOND"]);
    expect(authsOf(cluster.secrets.get("team-a", "pull"))[host]?.password).toBe(ecr.issued.at(-1));
  });

  it.each<[string, (cluster: FakeCluster) => (i: number) => () => void]>([
    [
      "Secrets created in its namespace that no source reads",
      (c) => (i) => () => c.putForeignSecret(keysSecret("team-a", `other-${i}`, "AKIAOTHER")),
    ],
    [
      "a Secret of the referenced name in another namespace, updated again and again",
      (c) => (i) => () => c.putForeignSecret(keysSecret("team-b", "aws-keys", `AKIAOTHER${i}`)),
    ],
  ])("runs nothing on 30 events: %s", async (_name, event) => {
    const { cluster, ecr, controller } = await ready();
    const writes = cluster.writes.length;
    await settleAfter(controller, times(30, event(cluster)));
    expect(ecr.mints).toBe(1);
    expect(cluster.writes.length).toBe(writes);
  });

  it("follows a spec change to another Secret and stops following the old one", async () => {
    const { cluster, ecr, controller } = await ready();
    cluster.putForeignSecret(keysSecret("team-a", "new-keys", "AKIANEW"));
    await settleAfter(controller, [
      () =>
        cluster.applyRegistryCredential(
          registryCredential("team-a", "pull", { sources: [keysSource("new-keys")], refresh }),
        ),
    ]);
    expect(keysUsed(ecr)).toEqual(["AKIAFIRST", "AKIANEW"]);
    await settleAfter(controller, [
      () => cluster.putForeignSecret(keysSecret("team-a", "aws-keys", "AKIAOLD")),
    ]);
    expect(ecr.mints).toBe(2);
    await settleAfter(controller, [
      () => cluster.putForeignSecret(keysSecret("team-a", "new-keys", "AKIANEWER")),
    ]);
    expect(keysUsed(ecr).at(-1)).toBe("AKIANEWER");
  });

  it("reports the Secret missing when it is deleted, and mints again once it is created anew", async () => {
    const { cluster, ecr, controller } = await ready();
    await settleAfter(controller, [() => cluster.deleteForeignSecret("team-a", "aws-keys")]);
    const condition = cluster.registryCredentials
      .get("team-a", "pull")
      ?.status?.conditions?.find((c) => c.type === "Ready");
    expect(condition?.reason).toBe("AuthSecretMissing");
    await settleAfter(controller, [
      () => cluster.putForeignSecret(keysSecret("team-a", "aws-keys", "AKIATHIRD")),
    ]);
    expect(keysUsed(ecr)).toEqual(["AKIAFIRST", "AKIATHIRD"]);
  });

  it("forgets the Secrets of a resource that is gone", async () => {
    const { cluster, controller } = await ready();
    expect(cluster.references.size).toBe(1);
    await settleAfter(controller, [() => cluster.deleteRegistryCredential("team-a", "pull")]);
    expect(cluster.references.size).toBe(0);
  });

  it("counts the changes that re-ran it", async () => {
    const { cluster, process, controller } = await ready();
    await settleAfter(controller, [
      () => cluster.putForeignSecret(keysSecret("team-a", "aws-keys", "AKIASECOND")),
    ]);
    const { values } = await process.metrics.referencedSecretChanges.get();
    expect(values).toEqual([expect.objectContaining({ labels: { kind: "RegistryCredential" }, value: 1 })]);
  });
});

describe("a RegistryCredential failing for want of its Secret", () => {
  async function failing() {
    const cluster = new FakeCluster();
    cluster.addNamespace("team-a");
    cluster.applyRegistryCredential(
      registryCredential("team-a", "pull", { sources: [keysSource()], refresh }),
    );
    const ecr = fakeEcr();
    const process = operatorProcess(cluster, { aws: ecr.aws });
    const controller = await started(process.registryCredentialController());
    const status = () => cluster.registryCredentials.get("team-a", "pull")?.status;
    return { cluster, ecr, process, controller, status };
  }

  it("is not run early by 30 unrelated Secrets, and runs once when its Secret is created", async () => {
    const { cluster, ecr, process, controller, status } = await failing();
    expect(status()?.conditions?.[0]?.reason).toBe("AuthSecretMissing");
    const syncs = async () =>
      (await process.metrics.reconcileDuration.get()).values
        .filter((v) => v.metricName === "regcred_reconcile_duration_seconds_count")
        .reduce((sum, v) => sum + v.value, 0);
    const before = await syncs();
    await settleAfter(
      controller,
      times(30, (i) => () => cluster.putForeignSecret(keysSecret("team-a", `other-${i}`, "AKIAOTHER"))),
    );
    expect(await syncs()).toBe(before);
    await settleAfter(controller, [
      () => cluster.putForeignSecret(keysSecret("team-a", "aws-keys", "AKIAFIRST")),
    ]);
    expect(await syncs()).toBe(before + 1);
    expect(ecr.mints).toBe(1);
    expect(status()?.conditions?.[0]?.reason).toBe("TokenRefreshed");
  });
});

describe("a ClusterRegistryCredential whose keys come from a Secret in the operator's namespace", () => {
  it("rewrites its Secret in every selected namespace at once when the keys Secret is updated", async () => {
    const cluster = new FakeCluster();
    for (const ns of [operatorNamespace, "team-a", "team-b"]) cluster.addNamespace(ns, { team: "yes" });
    cluster.putForeignSecret(keysSecret(operatorNamespace, "aws-keys", "AKIAFIRST"));
    cluster.applyClusterCredential(clusterCredential("platform", { sources: [keysSource()], refresh }));
    const ecr = fakeEcr();
    const controller = await started(
      operatorProcess(cluster, { aws: ecr.aws }).clusterCredentialController(),
    );
    const passwords = () =>
      ["team-a", "team-b"].map((ns) => authsOf(cluster.secrets.get(ns, "platform"))[host]?.password);
    expect(passwords()).toEqual([ecr.issued[0], ecr.issued[0]]);
    await settleAfter(controller, [
      () => cluster.putForeignSecret(keysSecret(operatorNamespace, "aws-keys", "AKIASECOND")),
    ]);
    expect(keysUsed(ecr)).toEqual(["AKIAFIRST", "AKIASECOND"]);
    expect(passwords()).toEqual([ecr.issued[1], ecr.issued[1]]);
  });

  it("runs nothing when a Secret of that name changes in a tenant's namespace", async () => {
    const cluster = new FakeCluster();
    for (const ns of [operatorNamespace, "team-a"]) cluster.addNamespace(ns, { team: "yes" });
    cluster.putForeignSecret(keysSecret(operatorNamespace, "aws-keys", "AKIAFIRST"));
    cluster.applyClusterCredential(clusterCredential("platform", { sources: [keysSource()], refresh }));
    const ecr = fakeEcr();
    const controller = await started(
      operatorProcess(cluster, { aws: ecr.aws }).clusterCredentialController(),
    );
    await settleAfter(
      controller,
      times(10, (i) => () => cluster.putForeignSecret(keysSecret("team-a", "aws-keys", `AKIATENANT${i}`))),
    );
    expect(keysUsed(ecr)).toEqual(["AKIAFIRST"]);
  });
});
