import { describe, expect, it } from "@jest/globals";
import type {
  ClusterRegistryCredential,
  RegistryCredential,
  SourceStatus,
} from "../../../../src/api/v1alpha1.js";
import { clusterRegistryCredentialKind } from "../../../../src/controller/cluster-registry-credential/kind.js";
import type {
  CredentialKind,
  CredentialResource,
} from "../../../../src/controller/credential/credential-kind.js";
import { coveringCredentials } from "../../../../src/controller/pull-failures/covering-credentials.js";
import { registryCredentialKind } from "../../../../src/controller/registry-credential/kind.js";
import { FakeCluster } from "../../../fakes/kube/fake-cluster.js";
import { clusterCredential, ecrHost, registryCredential } from "../fixtures.js";
import { operatorProcess } from "../operator-process.js";

const host = ecrHost("eu-west-1");

/** A status entry saying source `index` wrote `hosts`, minted with identity `identity`. */
const wrote = (index: number, hosts: string[], identity?: string): SourceStatus => ({
  index,
  provider: "ecr",
  hosts,
  ...(identity ? { identity } : {}),
});

function withStatus<T extends CredentialResource>(resource: T, sources: SourceStatus[], uid: string): T {
  return { ...resource, metadata: { ...resource.metadata, uid }, status: { sources } } as T;
}

/** Both kinds over a cluster with team-a (selected by team=yes) and team-b, listing the given resources. */
function kindsListing(rcs: RegistryCredential[], crcs: ClusterRegistryCredential[] = []) {
  const cluster = new FakeCluster();
  cluster.addNamespace("team-a", { team: "yes" });
  cluster.addNamespace("team-b");
  const ctx = operatorProcess(cluster).ctx();
  return [
    { kind: registryCredentialKind(ctx), list: () => rcs },
    { kind: clusterRegistryCredentialKind(ctx), list: () => crcs },
  ] as { kind: CredentialKind<CredentialResource>; list: () => readonly CredentialResource[] }[];
}

const covering = (kinds: ReturnType<typeof kindsListing>, namespace: string, at: string) =>
  coveringCredentials(kinds, namespace, at).map((c) => `${c.credential.id} ${c.identity} #${c.index}`);

describe("coveringCredentials", () => {
  it("finds the RegistryCredential of the pod's namespace whose status says it wrote the host, with its identity and source", () => {
    const rc = withStatus(
      registryCredential("team-a", "pull"),
      [wrote(0, ["quay.io"], "fp-quay"), wrote(1, [host], "fp-ecr")],
      "uid-rc",
    );
    const [found] = coveringCredentials(kindsListing([rc]), "team-a", host);
    expect(found).toMatchObject({ identity: "fp-ecr", index: 1 });
    expect(found?.credential).toMatchObject({
      id: "RegistryCredential/team-a/pull",
      secretName: "pull",
      ref: { plural: "registrycredentials", namespace: "team-a", name: "pull" },
    });
    expect(found?.kind.kind).toBe("RegistryCredential");
  });

  it.each<[string, RegistryCredential[], ClusterRegistryCredential[], string, string, string[]]>([
    [
      "a RegistryCredential of another namespace does not cover the pod",
      [withStatus(registryCredential("team-b", "pull"), [wrote(0, [host], "fp")], "u1")],
      [],
      "team-a",
      host,
      [],
    ],
    [
      "a resource that wrote other hosts does not cover the pod",
      [withStatus(registryCredential("team-a", "pull"), [wrote(0, [ecrHost("us-east-1")], "fp")], "u1")],
      [],
      "team-a",
      host,
      [],
    ],
    [
      "a resource without status covers nothing yet",
      [
        {
          ...registryCredential("team-a", "pull"),
          metadata: { name: "pull", namespace: "team-a", uid: "u1" },
        },
      ],
      [],
      "team-a",
      host,
      [],
    ],
    [
      "a resource being deleted covers nothing",
      [
        withStatus(
          {
            ...registryCredential("team-a", "pull"),
            metadata: {
              name: "pull",
              namespace: "team-a",
              deletionTimestamp: new Date("2030-01-01T00:00:00Z"),
            },
          },
          [wrote(0, [host], "fp")],
          "u1",
        ),
      ],
      [],
      "team-a",
      host,
      [],
    ],
    [
      "a ClusterRegistryCredential selecting the namespace covers the pod like a RegistryCredential",
      [withStatus(registryCredential("team-a", "own"), [wrote(0, [host], "fp-own")], "u1")],
      [withStatus(clusterCredential("platform"), [wrote(0, [host], "fp-platform")], "u2")],
      "team-a",
      host,
      ["RegistryCredential/team-a/own fp-own #0", "ClusterRegistryCredential/platform fp-platform #0"],
    ],
    [
      "a ClusterRegistryCredential not selecting the namespace does not cover it",
      [],
      [withStatus(clusterCredential("platform"), [wrote(0, [host], "fp-platform")], "u2")],
      "team-b",
      host,
      [],
    ],
    [
      "a Docker Hub host of the pod matches the login written for docker.io (an alias)",
      [withStatus(registryCredential("team-a", "hub"), [wrote(0, [host, "docker.io"], "fp")], "u1")],
      [],
      "team-a",
      "index.docker.io",
      ["RegistryCredential/team-a/hub fp #0"],
    ],
    [
      "without an identity in status it names none (nothing to mint afresh by)",
      [withStatus(registryCredential("team-a", "pull"), [wrote(2, [host])], "u1")],
      [],
      "team-a",
      host,
      ["RegistryCredential/team-a/pull undefined #2"],
    ],
  ])("%s", (_name, rcs, crcs, namespace, at, expected) => {
    expect(covering(kindsListing(rcs, crcs), namespace, at)).toEqual(expected);
  });
});
