// What the sync writes, and what it says it wrote: security review findings 10 (a Secret the
// apiserver refuses), 11 (a failing source's last login) and 12 (ServiceAccounts and foreign Secrets).
import { describe, expect, it } from "@jest/globals";
import type { ClusterRegistryCredential, RegistryCredential } from "../../../../src/api/v1alpha1.js";
import { authsOf, FakeCluster } from "../../../fakes/kube/fake-cluster.js";
import { clusterCredential, ecrHost, fakeEcr, manualClock, registryCredential } from "../fixtures.js";
import { operatorNamespace, operatorProcess } from "../operator-process.js";

const readyOf = (object: RegistryCredential | ClusterRegistryCredential | undefined) =>
  object?.status?.conditions?.find((c) => c.type === "Ready");

describe("a Secret the apiserver refuses", () => {
  const tooMuch = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`note-${i}`, "x".repeat(8192)]));

  it("is reported as InvalidSpec before anything is written, when the extra annotations are too large", async () => {
    const cluster = new FakeCluster();
    cluster.addNamespace(operatorNamespace);
    cluster.applyRegistryCredential(
      registryCredential(operatorNamespace, "pull", { secret: { annotations: tooMuch } }),
    );
    const process = operatorProcess(cluster);
    await process.syncRegistryCredential(operatorNamespace, "pull");
    const ready = readyOf(cluster.registryCredentials.get(operatorNamespace, "pull"));
    expect(ready).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(ready?.message).toContain("spec.secret.annotations");
    expect(cluster.events.map((e) => e.reason)).toContain("InvalidSpec");
    expect(cluster.secrets.get(operatorNamespace, "pull")).toBeUndefined();
  });

  it.each<[string, (cluster: FakeCluster) => Promise<unknown>]>([
    [
      "a RegistryCredential",
      (cluster) => operatorProcess(cluster).syncRegistryCredential(operatorNamespace, "pull"),
    ],
    ["a ClusterRegistryCredential", (cluster) => operatorProcess(cluster).syncClusterCredential("pull")],
  ])(
    "shows as Ready=False InvalidSpec with the apiserver's reason, with an event, on %s",
    async (kind, sync) => {
      const cluster = new FakeCluster();
      cluster.addNamespace(operatorNamespace, { team: "yes" });
      // Within the operator's own limit, but another tool has annotated the Secret heavily meanwhile.
      const annotations = Object.fromEntries(
        Array.from({ length: 18 }, (_, i) => [`note-${i}`, "x".repeat(8000)]),
      );
      const apply = (spec: object) =>
        kind === "a RegistryCredential"
          ? cluster.applyRegistryCredential(registryCredential(operatorNamespace, "pull", spec))
          : cluster.applyClusterCredential(clusterCredential("pull", spec));
      apply({});
      await sync(cluster);
      const secret = cluster.secrets.get(operatorNamespace, "pull");
      if (!secret) throw new Error("the first sync wrote no Secret");
      cluster.putForeignSecret({
        ...secret,
        metadata: {
          ...secret.metadata,
          annotations: { ...secret.metadata?.annotations, "other.tool/blob": "y".repeat(120_000) },
        },
      });
      apply({ secret: { annotations } });
      await expect(sync(cluster)).resolves.toBeDefined();
      const object =
        kind === "a RegistryCredential"
          ? cluster.registryCredentials.get(operatorNamespace, "pull")
          : cluster.clusterCredentials.get(undefined, "pull");
      const ready = readyOf(object);
      expect(ready).toMatchObject({ status: "False", reason: "InvalidSpec" });
      expect(ready?.message).toContain("may not be more than 262144 bytes");
      expect(cluster.events.filter((e) => e.reason === "InvalidSpec")).not.toHaveLength(0);
    },
  );
});

describe("a failing source's last login", () => {
  const east = ecrHost("us-east-1");
  const west = ecrHost("eu-west-1");

  async function twoSources() {
    const clock = manualClock(new Date("2030-01-01T00:00:00Z"));
    const cluster = new FakeCluster();
    cluster.addNamespace(operatorNamespace);
    cluster.applyRegistryCredential(
      registryCredential(operatorNamespace, "pull", {
        sources: [{ ecr: { region: "eu-west-1" } }, { ecr: { region: "us-east-1" } }],
      }),
    );
    const ecr = fakeEcr({ now: clock.now });
    const process = operatorProcess(cluster, { aws: ecr.aws, now: clock.now });
    await process.syncRegistryCredential(operatorNamespace, "pull");
    return { cluster, ecr, process, clock };
  }

  it("is kept while it is valid, and the message says until when", async () => {
    const { cluster, ecr, process, clock } = await twoSources();
    ecr.fail("us-east-1");
    clock.advance(7 * 3600_000);
    await process.syncRegistryCredential(operatorNamespace, "pull", 2);
    const auths = authsOf(cluster.secrets.get(operatorNamespace, "pull"));
    expect(Object.keys(auths).sort()).toEqual([west, east]);
    expect(auths[east]?.password).toBe(ecr.issued[1]);
    const ready = readyOf(cluster.registryCredentials.get(operatorNamespace, "pull"));
    expect(ready?.message).toContain(
      "keeps the last login of spec.sources[1] until it expires at 2030-01-01T12:00:00.000Z",
    );
    expect(ready?.message).not.toContain("left as it was");
  });

  it("is removed once expired, and the message says it was removed rather than that the Secret was left as it was", async () => {
    const { cluster, ecr, process, clock } = await twoSources();
    ecr.fail("us-east-1");
    clock.advance(13 * 3600_000);
    await process.syncRegistryCredential(operatorNamespace, "pull", 2);
    expect(Object.keys(authsOf(cluster.secrets.get(operatorNamespace, "pull")))).toEqual([west]);
    const ready = readyOf(cluster.registryCredentials.get(operatorNamespace, "pull"));
    expect(ready?.message).toContain(
      `the login of spec.sources[1] for ${east} expired at 2030-01-01T12:00:00.000Z and was removed from Secret ${operatorNamespace}/pull`,
    );
    expect(ready?.message).not.toContain("left as it was");
  });

  it("that was replaced by an edit of the source is not written again; the Secret is left as it was, and the message says why", async () => {
    const { cluster, ecr, process, clock } = await twoSources();
    cluster.applyRegistryCredential(
      registryCredential(operatorNamespace, "pull", {
        sources: [{ ecr: { region: "eu-west-1" } }, { ecr: { region: "ap-south-1" } }],
      }),
    );
    ecr.fail("ap-south-1");
    const before = cluster.secrets.get(operatorNamespace, "pull")?.metadata?.resourceVersion;
    clock.advance(7 * 3600_000);
    await process.syncRegistryCredential(operatorNamespace, "pull", 2);
    expect(cluster.secrets.get(operatorNamespace, "pull")?.metadata?.resourceVersion).toBe(before);
    const ready = readyOf(cluster.registryCredentials.get(operatorNamespace, "pull"));
    expect(ready?.message).toContain(
      "was left as it was: the last logins of spec.sources[1] could not be verified",
    );
  });
});

describe("the Secret's labels and annotations", () => {
  it("lose an entry removed from spec.secret, and keep what others set", async () => {
    const cluster = new FakeCluster();
    cluster.addNamespace(operatorNamespace);
    const template = (labels: Record<string, string>, annotations: Record<string, string>) =>
      registryCredential(operatorNamespace, "pull", { secret: { labels, annotations } });
    cluster.applyRegistryCredential(template({ team: "a", tier: "gold" }, { note: "x", owner: "platform" }));
    const process = operatorProcess(cluster);
    await process.syncRegistryCredential(operatorNamespace, "pull");
    const written = cluster.secrets.get(operatorNamespace, "pull");
    if (!written) throw new Error("no Secret written");
    cluster.putForeignSecret({
      ...written,
      metadata: { ...written.metadata, labels: { ...written.metadata?.labels, "added-by": "another-tool" } },
    });
    cluster.applyRegistryCredential(template({ team: "a" }, { note: "x" }));
    await process.syncRegistryCredential(operatorNamespace, "pull");
    const metadata = cluster.secrets.get(operatorNamespace, "pull")?.metadata;
    expect(metadata?.labels).toMatchObject({ team: "a", "added-by": "another-tool" });
    expect(metadata?.labels).not.toHaveProperty("tier");
    expect(metadata?.annotations).toMatchObject({ note: "x" });
    expect(metadata?.annotations).not.toHaveProperty("owner");
  });
});

describe("ServiceAccounts next to a Secret of someone else", () => {
  it("are neither created nor patched by a ClusterRegistryCredential that finds the name taken", async () => {
    const cluster = new FakeCluster();
    cluster.addNamespace("team-x", { team: "yes" });
    cluster.putForeignSecret({
      metadata: { name: "platform", namespace: "team-x" },
      type: "Opaque",
      data: { token: Buffer.from("the tenant's own data").toString("base64") },
    });
    cluster.applyClusterCredential(
      clusterCredential("platform", {
        namespaces: { names: ["team-x"] },
        serviceAccounts: { names: ["default"] },
      }),
    );
    await operatorProcess(cluster).syncClusterCredential("platform");
    const crc = cluster.clusterCredentials.get(undefined, "platform");
    expect(crc?.status?.failures?.[0]).toMatchObject({ namespace: "team-x", reason: "SecretConflict" });
    expect(cluster.accounts.get("team-x", "default")).toBeUndefined();
    expect(cluster.writes.filter((w) => w.includes("ServiceAccount"))).toEqual([]);
  });

  it("are patched by a RegistryCredential only once its Secret is its own", async () => {
    const cluster = new FakeCluster();
    cluster.addNamespace(operatorNamespace);
    cluster.addServiceAccount(operatorNamespace, "default");
    cluster.putForeignSecret({
      metadata: { name: "pull", namespace: operatorNamespace },
      type: "Opaque",
      data: {},
    });
    cluster.applyRegistryCredential(
      registryCredential(operatorNamespace, "pull", { serviceAccounts: { names: ["default"] } }),
    );
    await operatorProcess(cluster).syncRegistryCredential(operatorNamespace, "pull");
    expect(readyOf(cluster.registryCredentials.get(operatorNamespace, "pull"))?.reason).toBe(
      "SecretConflict",
    );
    expect(cluster.accounts.get(operatorNamespace, "default")?.imagePullSecrets).toBeUndefined();
  });
});
