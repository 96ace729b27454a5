// A restarted operator (empty token cache) recovers only logins it can prove it wrote itself:
// security review finding 1 (ClusterRegistryCredential) and 1b (RegistryCredentials sharing an identity).
import { describe, expect, it } from "@jest/globals";
import type { V1Secret } from "@kubernetes/client-node";
import { annotations, managedByLabel, managedByValue } from "../../../../src/secrets/ownership.js";
import { authsOf, FakeCluster } from "../../../fakes/kube/fake-cluster.js";
import { clusterCredential, ecrHost, fakeEcr, registryCredential } from "../fixtures.js";
import { operatorNamespace, operatorProcess } from "../operator-process.js";

const host = ecrHost("eu-west-1");
// They sort before the operator's namespace, which this credential does not select: a reader of the
// first copy in cache order reads a tenant's.
const selected = ["app-a", "app-b", "app-c"];

function dockerConfig(password: unknown, username: unknown = "AWS"): string {
  return Buffer.from(JSON.stringify({ auths: { [host]: { username, password, auth: "eA==" } } })).toString(
    "base64",
  );
}

/** A cluster with a ClusterRegistryCredential fanned out by a first operator process, which then stops. */
async function fannedOut() {
  const cluster = new FakeCluster();
  cluster.addNamespace(operatorNamespace);
  for (const ns of selected) cluster.addNamespace(ns, { team: "yes" });
  cluster.addNamespace("a-tenant-scratch");
  cluster.applyClusterCredential(clusterCredential("ecr-pull"));
  const ecr = fakeEcr();
  await operatorProcess(cluster, { aws: ecr.aws }).syncClusterCredential("ecr-pull");
  const uid = cluster.clusterCredentials.get(undefined, "ecr-pull")?.metadata.uid as string;
  return { cluster, ecr, uid };
}

/** The password each namespace's copy of `name` holds for the ECR host. */
function passwords(cluster: FakeCluster, namespaces: readonly string[], name = "ecr-pull") {
  return namespaces.map((ns) => authsOf(cluster.secrets.get(ns, name) as V1Secret)[host]?.password);
}

/** A Secret a tenant writes: the operator's label and a resource's uid, with a password of its choosing. */
function planted(
  namespace: string,
  name: string,
  ownerUid: string,
  password: unknown = "TENANT-CHOSEN",
): V1Secret {
  return {
    metadata: {
      name,
      namespace,
      labels: { [managedByLabel]: managedByValue },
      annotations: {
        [annotations.ownerUid]: ownerUid,
        [annotations.owner]: "ClusterRegistryCredential/ecr-pull",
      },
    },
    type: "kubernetes.io/dockerconfigjson",
    data: { ".dockerconfigjson": dockerConfig(password) },
  };
}

describe("a restarted operator and a ClusterRegistryCredential's Secrets", () => {
  it("reuses the logins it wrote itself, with no call to ECR", async () => {
    const { cluster, ecr } = await fannedOut();
    const before = passwords(cluster, selected);
    cluster.restart();
    await operatorProcess(cluster, { aws: ecr.aws }).syncClusterCredential("ecr-pull");
    expect(ecr.mints).toBe(1);
    expect(passwords(cluster, selected)).toEqual(before);
  });

  it("neither trusts nor deletes a Secret a tenant planted in a namespace it does not select", async () => {
    const { cluster, ecr, uid } = await fannedOut();
    cluster.putForeignSecret(planted("a-tenant-scratch", "ecr-pull", uid));
    cluster.restart();
    await operatorProcess(cluster, { aws: ecr.aws }).syncClusterCredential("ecr-pull");
    for (const password of passwords(cluster, selected)) expect(ecr.issued).toContain(password);
    expect(passwords(cluster, ["a-tenant-scratch"])).toEqual(["TENANT-CHOSEN"]);
    expect(cluster.writes).not.toContain("delete Secret a-tenant-scratch/ecr-pull");
  });

  it.each<[string, unknown, unknown]>([
    ["a password of its choosing", "TENANT-CHOSEN", "AWS"],
    ["a user name of its choosing", undefined, "admin"],
    ["a password that is not a string", { not: "a string" }, "AWS"],
  ])(
    "does not spread a selected namespace's copy that a tenant edited to hold %s",
    async (_what, password, username) => {
      const { cluster, ecr } = await fannedOut();
      const copy = cluster.secrets.get("app-a", "ecr-pull") as V1Secret;
      const genuine = authsOf(copy)[host]?.password;
      cluster.putForeignSecret({
        ...copy,
        data: { ".dockerconfigjson": dockerConfig(password ?? genuine, username) },
      });
      cluster.restart();
      await operatorProcess(cluster, { aws: ecr.aws }).syncClusterCredential("ecr-pull");
      for (const value of passwords(cluster, selected)) expect(ecr.issued).toContain(value);
      for (const ns of selected)
        expect(authsOf(cluster.secrets.get(ns, "ecr-pull"))[host]?.username).toBe("AWS");
    },
  );

  it("mints when no copy in a selected namespace matches what it wrote", async () => {
    const { cluster, ecr, uid } = await fannedOut();
    for (const ns of selected) cluster.putForeignSecret(planted(ns, "ecr-pull", uid));
    cluster.restart();
    await operatorProcess(cluster, { aws: ecr.aws }).syncClusterCredential("ecr-pull");
    expect(ecr.mints).toBe(2);
    expect(passwords(cluster, selected)).toEqual(Array(3).fill(ecr.issued[1]));
  });

  it("keeps a failing source's last login only from a copy it can verify", async () => {
    const { cluster, ecr } = await fannedOut();
    const genuine = ecr.issued[0];
    const copy = cluster.secrets.get("app-a", "ecr-pull") as V1Secret;
    cluster.putForeignSecret({ ...copy, data: { ".dockerconfigjson": dockerConfig("TENANT-CHOSEN") } });
    cluster.restart();
    ecr.fail("eu-west-1");
    await operatorProcess(cluster, { aws: ecr.aws }).syncClusterCredential("ecr-pull");
    expect(passwords(cluster, selected)).toEqual(Array(3).fill(genuine));
  });
});

describe("a restarted operator and RegistryCredentials sharing the ambient identity", () => {
  it("does not hand one tenant's edited Secret to another tenant or to a ClusterRegistryCredential", async () => {
    const cluster = new FakeCluster();
    for (const ns of [operatorNamespace, "team-a", "team-b"]) cluster.addNamespace(ns, { team: "yes" });
    cluster.applyRegistryCredential(registryCredential("team-a", "pull"));
    cluster.applyRegistryCredential(registryCredential("team-b", "pull"));
    cluster.applyClusterCredential(clusterCredential("platform", { namespaces: { names: ["team-b"] } }));
    const ecr = fakeEcr();
    const ambientEverywhere = { aws: ecr.aws, ambientIdentityAllowed: () => true };
    const first = operatorProcess(cluster, ambientEverywhere);
    for (const ns of ["team-a", "team-b"]) await first.syncRegistryCredential(ns, "pull");
    await first.syncClusterCredential("platform");
    expect(ecr.mints).toBe(1);

    // While no operator runs, tenant A edits the data of its own managed Secret.
    const own = cluster.secrets.get("team-a", "pull") as V1Secret;
    cluster.putForeignSecret({ ...own, data: { ".dockerconfigjson": dockerConfig("TENANT-A-CHOSEN") } });
    cluster.restart();
    const restarted = operatorProcess(cluster, ambientEverywhere);
    await restarted.syncRegistryCredential("team-a", "pull");
    await restarted.syncRegistryCredential("team-b", "pull");
    await restarted.syncClusterCredential("platform");

    const written = [
      authsOf(cluster.secrets.get("team-a", "pull"))[host]?.password,
      authsOf(cluster.secrets.get("team-b", "pull"))[host]?.password,
      authsOf(cluster.secrets.get("team-b", "platform"))[host]?.password,
    ];
    for (const password of written) expect(ecr.issued).toContain(password);
  });
});
