// Static credentials (basic, dockerConfig) beside cloud sources in one Secret, mirror aliases, and
// the rules that make them safe to combine: no reading the operator's own Secrets, one login per
// registry, and the operator's policy on where ClusterRegistryCredentials read Secrets.
import { describe, expect, it } from "@jest/globals";
import type { V1Secret } from "@kubernetes/client-node";
import type {
  ClusterRegistryCredential,
  CredentialSource,
  RegistryCredential,
} from "../../../../src/api/v1alpha1.js";
import { authsOf, FakeCluster } from "../../../fakes/kube/fake-cluster.js";
import { clusterCredential, ecrHost, fakeEcr, manualClock, registryCredential } from "../fixtures.js";
import { operatorProcess, type ProcessOptions } from "../operator-process.js";

const operatorNamespace = "regcred-system";
const hubPassword = "dckr_pat_static_unit_0123456789abcdef";
const quayPassword = "QUAYSTATICUNITROBOTTOKEN0123456789";

const readyOf = (resource: RegistryCredential | ClusterRegistryCredential | undefined) =>
  resource?.status?.conditions?.find((c) => c.type === "Ready");

const opaque = (namespace: string, name: string, data: Record<string, string>): V1Secret => ({
  metadata: { namespace, name, uid: `uid-${namespace}-${name}`, resourceVersion: "1" },
  type: "Opaque",
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
});

const dockerConfigSecret = (namespace: string, name: string, auths: Record<string, string>): V1Secret => ({
  ...opaque(namespace, name, {
    ".dockerconfigjson": JSON.stringify({
      auths: Object.fromEntries(
        Object.entries(auths).map(([key, login]) => [key, { auth: Buffer.from(login).toString("base64") }]),
      ),
    }),
  }),
  type: "kubernetes.io/dockerconfigjson",
});

const hubSource: CredentialSource = { basic: { registries: ["docker.io"], secretRef: { name: "hub" } } };

/** team-a and team-b selected, ECR answering on ambient identity, Docker Hub keys in the operator namespace. */
function world(options: ProcessOptions = {}) {
  const cluster = new FakeCluster();
  for (const ns of ["team-a", "team-b"]) cluster.addNamespace(ns, { team: "yes" });
  cluster.addNamespace(operatorNamespace);
  cluster.putForeignSecret(
    opaque(operatorNamespace, "hub", { username: "platform-bot", password: hubPassword }),
  );
  const clock = manualClock(new Date("2030-01-01T00:00:00Z"));
  const ecr = fakeEcr({ now: clock.now });
  const start = () =>
    operatorProcess(cluster, {
      aws: ecr.aws,
      now: clock.now,
      ambientIdentityAllowed: () => true,
      ...options,
    });
  return { cluster, clock, ecr, start, process: start() };
}

describe("a ClusterRegistryCredential with an ECR source and a static Docker Hub source", () => {
  it("writes one Secret holding both hosts into every selected namespace, with the ECR expiry driving the refresh", async () => {
    const { cluster, process, clock } = world();
    cluster.applyClusterCredential(
      clusterCredential("pull", {
        sources: [{ ecr: { region: "eu-west-1" } }, hubSource],
        refresh: { maxInterval: "12h" },
      }),
    );
    await process.syncClusterCredential("pull");
    for (const ns of ["team-a", "team-b"]) {
      const auths = authsOf(cluster.secrets.get(ns, "pull"));
      expect(Object.keys(auths).sort()).toEqual([ecrHost("eu-west-1"), "docker.io"]);
      expect(auths["docker.io"]).toMatchObject({ username: "platform-bot", password: hubPassword });
    }
    const crc = cluster.clusterCredentials.get(undefined, "pull");
    expect(readyOf(crc)).toMatchObject({ status: "True", reason: "TokenRefreshed" });
    const basic = crc?.status?.sources?.find((s) => s.provider === "basic");
    expect(basic).toMatchObject({ index: 1, hosts: ["docker.io"] });
    expect(basic?.expiresAt).toBeUndefined();
    // ECR's 12-hour token renews at half its lifetime (± 10 %), before the static login's 12 h maxInterval.
    const next = new Date(crc?.status?.nextRefreshTime as string).getTime() - clock.now().getTime();
    expect(next).toBeGreaterThanOrEqual(4.8 * 3600_000);
    expect(next).toBeLessThanOrEqual(7.2 * 3600_000);
    expect(JSON.stringify(crc?.status)).not.toContain(hubPassword);
  });

  it("renews static-only logins after refresh.maxInterval, not minInterval", async () => {
    const { cluster, process, clock } = world();
    cluster.applyClusterCredential(
      clusterCredential("hub", { sources: [hubSource], refresh: { maxInterval: "2h" } }),
    );
    await process.syncClusterCredential("hub");
    const crc = cluster.clusterCredentials.get(undefined, "hub");
    expect(readyOf(crc)?.status).toBe("True");
    expect(crc?.status?.expiresAt).toBeUndefined();
    expect(new Date(crc?.status?.nextRefreshTime as string).getTime() - clock.now().getTime()).toBe(
      2 * 3600_000,
    );
  });

  it("writes the new password at the next sync once the referenced Secret changed", async () => {
    const { cluster, process } = world();
    cluster.applyClusterCredential(clusterCredential("hub", { sources: [hubSource] }));
    await process.syncClusterCredential("hub");
    const rotated = "dckr_pat_static_unit_rotated_fedcba9876543210";
    cluster.putForeignSecret({
      ...opaque(operatorNamespace, "hub", { username: "platform-bot", password: rotated }),
      metadata: {
        namespace: operatorNamespace,
        name: "hub",
        uid: `uid-${operatorNamespace}-hub`,
        resourceVersion: "2",
      },
    });
    await process.syncClusterCredential("hub");
    expect(authsOf(cluster.secrets.get("team-a", "hub"))["docker.io"]?.password).toBe(rotated);
  });
});

describe("the operator's policy on where ClusterRegistryCredentials read Secrets", () => {
  it.each<[string, CredentialSource]>([
    [
      "a basic source",
      { basic: { registries: ["docker.io"], secretRef: { name: "hub", namespace: "team-a" } } },
    ],
    ["a dockerConfig source", { dockerConfig: { secretRef: { name: "hub", namespace: "team-a" } } }],
    [
      "an ECR source's access keys",
      { ecr: { region: "eu-west-1", auth: { secretRef: { name: "hub", namespace: "team-a" } } } },
    ],
    [
      "a gar source's key file",
      { gar: { registries: ["gcr.io"], auth: { secretRef: { name: "hub", namespace: "team-a" } } } },
    ],
  ])("refuses %s in a namespace it does not allow as Forbidden, writing nothing", async (_name, source) => {
    const { cluster, process } = world();
    cluster.putForeignSecret(opaque("team-a", "hub", { username: "tenant", password: hubPassword }));
    cluster.applyClusterCredential(clusterCredential("pull", { sources: [source] }));
    await process.syncClusterCredential("pull");
    const ready = readyOf(cluster.clusterCredentials.get(undefined, "pull"));
    expect(ready).toMatchObject({ status: "False", reason: "Forbidden" });
    expect(ready?.message).toContain("Secret team-a/hub may not be read");
    expect(ready?.message).toContain("--credential-secret-namespaces");
    expect(cluster.secrets.get("team-b", "pull")).toBeUndefined();
  });

  it("reads a Secret in a namespace the policy lists", async () => {
    const { cluster, process } = world({ credentialSecretsAllowed: (ns) => ns === "shared" });
    cluster.addNamespace("shared");
    cluster.putForeignSecret(opaque("shared", "hub", { username: "platform-bot", password: hubPassword }));
    cluster.applyClusterCredential(
      clusterCredential("pull", {
        sources: [{ basic: { registries: ["docker.io"], secretRef: { name: "hub", namespace: "shared" } } }],
      }),
    );
    await process.syncClusterCredential("pull");
    expect(readyOf(cluster.clusterCredentials.get(undefined, "pull"))?.status).toBe("True");
    expect(Object.keys(authsOf(cluster.secrets.get("team-a", "pull")))).toEqual(["docker.io"]);
  });
});

describe("a dockerConfig source", () => {
  it("merges a tenant's dockerconfigjson Secret, restricted to the hosts it lists, into a RegistryCredential's Secret", async () => {
    const { cluster, process } = world();
    cluster.putForeignSecret(
      dockerConfigSecret("team-a", "legacy", {
        "https://index.docker.io/v1/": `platform-bot:${hubPassword}`,
        "quay.io": `org+puller:${quayPassword}`,
        "registry.example.com/team": "someone:not-taken-0000000000",
      }),
    );
    cluster.applyRegistryCredential(
      registryCredential("team-a", "pull", {
        sources: [
          { ecr: { region: "eu-west-1" } },
          { dockerConfig: { secretRef: { name: "legacy" }, hosts: ["docker.io", "quay.io"] } },
        ],
      }),
    );
    await process.syncRegistryCredential("team-a", "pull");
    const auths = authsOf(cluster.secrets.get("team-a", "pull"));
    expect(Object.keys(auths).sort()).toEqual([ecrHost("eu-west-1"), "docker.io", "quay.io"]);
    expect(auths["quay.io"]).toMatchObject({ username: "org+puller", password: quayPassword });
  });

  it("refuses a Secret this operator wrote, naming its owner, and leaves that Secret as it was", async () => {
    const { cluster, process } = world();
    cluster.applyRegistryCredential(registryCredential("team-a", "ecr"));
    await process.syncRegistryCredential("team-a", "ecr");
    const written = cluster.secrets.get("team-a", "ecr");
    cluster.applyRegistryCredential(
      registryCredential("team-a", "copy", { sources: [{ dockerConfig: { secretRef: { name: "ecr" } } }] }),
    );
    await process.syncRegistryCredential("team-a", "copy");
    const ready = readyOf(cluster.registryCredentials.get("team-a", "copy"));
    expect(ready).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(ready?.message).toContain(
      "Secret team-a/ecr is written by registry-credential-operator for RegistryCredential/team-a/ecr",
    );
    expect(cluster.secrets.get("team-a", "copy")).toBeUndefined();
    expect(cluster.secrets.get("team-a", "ecr")).toEqual(written);
  });

  it.each<[string, Record<string, string>, string]>([
    ["a wildcard key", { "*.example.com": "u:p-0000000000" }, 'auths key "*.example.com" is a wildcard'],
    [
      "a key scoped to a repository path",
      { "quay.io/team": "u:p-0000000000" },
      'auths key "quay.io/team" is scoped to the repository path "/team"',
    ],
    [
      "an entry whose auth is no username:password",
      { "quay.io": "no-colon-here" },
      'the auths entry "quay.io" has an auth field that is not base64 of "<username>:<password>"',
    ],
  ])("refuses %s when it takes every entry, quoting the key but no value", async (_name, auths, message) => {
    const { cluster, process } = world();
    cluster.putForeignSecret(dockerConfigSecret("team-a", "legacy", auths));
    cluster.applyRegistryCredential(
      registryCredential("team-a", "pull", {
        sources: [{ dockerConfig: { secretRef: { name: "legacy" } } }],
      }),
    );
    await process.syncRegistryCredential("team-a", "pull");
    const ready = readyOf(cluster.registryCredentials.get("team-a", "pull"));
    expect(ready).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(ready?.message).toContain(message);
    expect(ready?.message).not.toMatch(/p-0000000000|no-colon-here/);
  });
});

describe("one login per registry", () => {
  it("refuses at the spec check two sources naming the same registry, Docker Hub's two names included", async () => {
    const { cluster, process } = world();
    cluster.applyClusterCredential(
      clusterCredential("pull", {
        sources: [hubSource, { dockerConfig: { secretRef: { name: "legacy" }, hosts: ["index.docker.io"] } }],
      }),
    );
    await process.syncClusterCredential("pull");
    const ready = readyOf(cluster.clusterCredentials.get(undefined, "pull"));
    expect(ready).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(ready?.message).toContain(
      "spec.sources[1] writes registry host index.docker.io, as spec.sources[0] does (as docker.io, the same registry)",
    );
    expect(cluster.secrets.get("team-a", "pull")).toBeUndefined();
  });

  it("refuses after the mint the later of two sources that wrote the same host, keeping the earlier one's login", async () => {
    const { cluster, process } = world();
    cluster.putForeignSecret(
      dockerConfigSecret(operatorNamespace, "legacy", { "docker.io": `someone-else:${quayPassword}` }),
    );
    cluster.applyClusterCredential(
      clusterCredential("pull", {
        sources: [hubSource, { dockerConfig: { secretRef: { name: "legacy" } } }],
      }),
    );
    await process.syncClusterCredential("pull");
    const ready = readyOf(cluster.clusterCredentials.get(undefined, "pull"));
    expect(ready).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(ready?.message).toContain(
      "spec.sources[1] (dockerConfig Secret legacy): registry host docker.io is also written by spec.sources[0] (basic docker.io)",
    );
    expect(authsOf(cluster.secrets.get("team-a", "pull"))).toEqual({
      "docker.io": expect.objectContaining({ username: "platform-bot", password: hubPassword }),
    });
  });
});

describe("mirror aliases", () => {
  const aliased: CredentialSource = {
    ecr: { region: "eu-west-1" },
    aliases: ["docker.io"],
    aliasesAcknowledgement: "SendsTokenUpstreamWhenMirrorFails",
  };

  it("write the source's login under each alias too, and survive a restart without a new mint", async () => {
    const { cluster, process, start, ecr } = world();
    cluster.applyClusterCredential(clusterCredential("mirror", { sources: [aliased] }));
    await process.syncClusterCredential("mirror");
    const auths = authsOf(cluster.secrets.get("team-a", "mirror"));
    expect(Object.keys(auths).sort()).toEqual([ecrHost("eu-west-1"), "docker.io"]);
    expect(auths["docker.io"]).toEqual(auths[ecrHost("eu-west-1")]);
    expect(cluster.clusterCredentials.get(undefined, "mirror")?.status?.sources?.[0]?.hosts).toEqual([
      ecrHost("eu-west-1"),
      "docker.io",
    ]);
    const written = cluster.secrets.get("team-a", "mirror");
    await start().syncClusterCredential("mirror");
    expect(ecr.mints).toBe(1);
    expect(cluster.secrets.get("team-a", "mirror")).toEqual(written);
  });

  it.each<[string, CredentialSource, string]>([
    [
      "without the acknowledgement",
      { ecr: { region: "eu-west-1" }, aliases: ["docker.io"] },
      "spec.sources[0].aliases need aliasesAcknowledgement: SendsTokenUpstreamWhenMirrorFails",
    ],
    [
      "on a source that writes two logins",
      { ...aliased, ecr: { region: "eu-west-1", registryIds: ["111122223333", "444455556666"] } },
      "spec.sources[0].aliases need a source that writes exactly one login, but this one writes 2",
    ],
    [
      "naming a host the source writes anyway",
      {
        basic: { registries: ["docker.io"], secretRef: { name: "hub" } },
        aliases: ["index.docker.io"],
        aliasesAcknowledgement: "SendsTokenUpstreamWhenMirrorFails",
      },
      'spec.sources[0].aliases lists "index.docker.io", which the source writes anyway',
    ],
    [
      "given as a URL",
      { ...aliased, aliases: ["https://index.docker.io/v1/"] },
      'spec.sources[0].aliases: "https://index.docker.io/v1/" is not a bare registry host: write "index.docker.io"',
    ],
  ])("are refused %s, and nothing is written", async (_name, source, message) => {
    const { cluster, process } = world();
    cluster.applyClusterCredential(clusterCredential("mirror", { sources: [source] }));
    await process.syncClusterCredential("mirror");
    const ready = readyOf(cluster.clusterCredentials.get(undefined, "mirror"));
    expect(ready).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(ready?.message).toContain(message);
    expect(cluster.secrets.get("team-a", "mirror")).toBeUndefined();
  });

  it("are refused after the mint when a dockerConfig source without hosts turns out to write two logins", async () => {
    const { cluster, process } = world();
    cluster.putForeignSecret(
      dockerConfigSecret(operatorNamespace, "legacy", {
        "docker.io": `a:${hubPassword}`,
        "quay.io": `b:${quayPassword}`,
      }),
    );
    cluster.applyClusterCredential(
      clusterCredential("mirror", {
        sources: [
          {
            dockerConfig: { secretRef: { name: "legacy" } },
            aliases: ["mirror.example.com"],
            aliasesAcknowledgement: "SendsTokenUpstreamWhenMirrorFails",
          },
        ],
      }),
    );
    await process.syncClusterCredential("mirror");
    const ready = readyOf(cluster.clusterCredentials.get(undefined, "mirror"));
    expect(ready).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(ready?.message).toContain(
      "aliases need a source that writes exactly one login, but this one wrote 2 (docker.io, quay.io)",
    );
  });
});
