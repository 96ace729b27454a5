// The RegistryCredential CRD's schema and CEL rules, enforced by a real kube-apiserver: every rule
// rejects what it should (HTTP 422, with the rule's message or the offending field) and the
// shapes users write are accepted.
import { beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import {
  apiVersion,
  group,
  type RegistryCredential,
  type RegistryCredentialSpec,
  registryCredentialNames,
  version,
} from "../../src/api/v1alpha1.js";
import {
  ClusterRegistryCredentials,
  clusterRegistryCredential,
  ecrWithStaticKeys,
  RegistryCredentials,
  registryCredential,
} from "../support/fixtures.js";
import { adminKubeConfig, createNamespace, expectStatus, uniqueName } from "../support/kube.js";

const timeout = 60_000;

const audience =
  "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/ci-pool/providers/kubernetes";
const roleArn = "arn:aws:iam::123456789012:role/ecr-puller";

const ecr = (fields: Record<string, unknown> = {}) => ({
  ecr: { region: "eu-west-1", auth: { secretRef: { name: "aws-keys" } }, ...fields },
});
const gar = (fields: Record<string, unknown> = {}) => ({
  gar: {
    registries: ["europe-west1-docker.pkg.dev"],
    auth: { serviceAccountRef: { name: "puller", audience } },
    ...fields,
  },
});
const basic = (fields: Record<string, unknown> = {}) => ({
  basic: { registries: ["docker.io"], secretRef: { name: "hub" }, ...fields },
});
/** A spec with one valid ECR source, with `fields` merged in. */
const withSource = (source: unknown, fields: Record<string, unknown> = {}) => ({
  sources: [source],
  ...fields,
});
const withRefresh = (refresh: Record<string, unknown>) => withSource(ecr(), { refresh });

let kc: k8s.KubeConfig;
let objects: k8s.CustomObjectsApi;
let namespace: string;

/** Creates a RegistryCredential with an arbitrary (possibly invalid) spec. */
function create(spec: unknown, name = uniqueName("rc")): Promise<RegistryCredential> {
  return objects.createNamespacedCustomObject({
    group,
    version,
    namespace,
    plural: registryCredentialNames.plural,
    body: { apiVersion, kind: registryCredentialNames.kind, metadata: { name }, spec },
  }) as Promise<RegistryCredential>;
}

beforeAll(async () => {
  kc = adminKubeConfig();
  objects = kc.makeApiClient(k8s.CustomObjectsApi);
  namespace = await createNamespace(kc.makeApiClient(k8s.CoreV1Api), "crd-validation");
}, timeout);

describe("the RegistryCredential CRD rejects", () => {
  it.each<[string, unknown, string[]]>([
    [
      "a source with both ecr and gar",
      { sources: [{ ...ecr(), ...gar() }] },
      [
        "spec.sources[0]",
        "each source must set exactly one provider block (ecr, ecrPublic, gar, acr, basic or dockerConfig)",
      ],
    ],
    [
      "a source with neither ecr nor gar",
      { sources: [{}] },
      [
        "spec.sources[0]",
        "each source must set exactly one provider block (ecr, ecrPublic, gar, acr, basic or dockerConfig)",
      ],
    ],
    [
      "a source with aliases but no provider block",
      { sources: [{ aliases: ["docker.io"], aliasesAcknowledgement: "SendsTokenUpstreamWhenMirrorFails" }] },
      [
        "spec.sources[0]",
        "each source must set exactly one provider block (ecr, ecrPublic, gar, acr, basic or dockerConfig)",
      ],
    ],
    [
      "a source with both basic and dockerConfig",
      { sources: [{ ...basic(), dockerConfig: { secretRef: { name: "legacy" } } }] },
      [
        "spec.sources[0]",
        "each source must set exactly one provider block (ecr, ecrPublic, gar, acr, basic or dockerConfig)",
      ],
    ],
    [
      "a canary image with its registry host",
      {
        sources: [
          { ...ecr(), verify: { image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com:443/team/app" } },
        ],
      },
      ["spec.sources[0].verify.image"],
    ],
    [
      "a canary image digest of the wrong length",
      { sources: [{ ...ecr(), verify: { image: "team/app@sha256:abc" } }] },
      ["spec.sources[0].verify.image"],
    ],
    ["a verify mode it does not know", { sources: [ecr()], verify: { mode: "Block" } }, ["spec.verify.mode"]],
    [
      "a verify interval that is no duration",
      { sources: [ecr()], verify: { interval: "hourly" } },
      ["spec.verify.interval"],
    ],
    [
      "aliases without their acknowledgement",
      { sources: [{ ...ecr(), aliases: ["docker.io"] }] },
      ["spec.sources[0]", "set aliasesAcknowledgement: SendsTokenUpstreamWhenMirrorFails to accept that"],
    ],
    [
      "an acknowledgement of another risk",
      { sources: [{ ...ecr(), aliases: ["docker.io"], aliasesAcknowledgement: "Yes" }] },
      ["spec.sources[0].aliasesAcknowledgement", "Unsupported value"],
    ],
    [
      "an acknowledgement without aliases",
      { sources: [{ ...ecr(), aliasesAcknowledgement: "SendsTokenUpstreamWhenMirrorFails" }] },
      ["spec.sources[0]", "aliasesAcknowledgement is set, but there are no aliases"],
    ],
    [
      "an alias given as a URL",
      {
        sources: [
          {
            ...ecr(),
            aliases: ["https://index.docker.io/v1/"],
            aliasesAcknowledgement: "SendsTokenUpstreamWhenMirrorFails",
          },
        ],
      },
      ["spec.sources[0].aliases[0]", "should match"],
    ],
    [
      "a basic registry given as a URL",
      withSource(basic({ registries: ["https://index.docker.io/v1/"] })),
      ["spec.sources[0].basic.registries[0]", "should match"],
    ],
    [
      "a basic registry with a repository path",
      withSource(basic({ registries: ["quay.io/team"] })),
      ["spec.sources[0].basic.registries[0]", "should match"],
    ],
    [
      "a basic source with both a username and a username key",
      withSource(basic({ username: "bot", secretRef: { name: "hub", usernameKey: "user" } })),
      ["spec.sources[0].basic", "set username or secretRef.usernameKey, not both"],
    ],
    [
      "a basic source without a Secret",
      withSource({ basic: { registries: ["docker.io"] } }),
      ["spec.sources[0].basic.secretRef", "Required value"],
    ],
    [
      "a dockerConfig host in upper case",
      withSource({ dockerConfig: { secretRef: { name: "legacy" }, hosts: ["Quay.io"] } }),
      ["spec.sources[0].dockerConfig.hosts[0]", "should match"],
    ],
    [
      "a dockerConfig source with an empty host list",
      withSource({ dockerConfig: { secretRef: { name: "legacy" }, hosts: [] } }),
      ["spec.sources[0].dockerConfig.hosts", "should have at least 1 items"],
    ],
    ["an empty list of sources", { sources: [] }, ["spec.sources", "should have at least 1 items"]],
    ["a spec without sources", {}, ["spec.sources", "Required value"]],
    [
      "an upper-case region",
      withSource(ecr({ region: "EU-WEST-1" })),
      ["spec.sources[0].ecr.region", "should match"],
    ],
    [
      "a region that is not a region",
      withSource(ecr({ region: "europe" })),
      ["spec.sources[0].ecr.region", "should match"],
    ],
    [
      "an ecr source without a region",
      withSource({ ecr: { registryIds: ["123456789012"] } }),
      ["spec.sources[0].ecr.region", "Required value"],
    ],
    [
      "a registryId of 11 digits",
      withSource(ecr({ registryIds: ["12345678901"] })),
      ["spec.sources[0].ecr.registryIds[0]", "should match"],
    ],
    [
      "a registryId with letters",
      withSource(ecr({ registryIds: ["123456789012", "12345678901a"] })),
      ["spec.sources[0].ecr.registryIds[1]", "should match"],
    ],
    [
      "duplicate registryIds",
      withSource(ecr({ registryIds: ["123456789012", "123456789012"] })),
      ["spec.sources[0].ecr.registryIds[1]", "Duplicate value"],
    ],
    [
      "ecr auth with both secretRef and serviceAccountRef",
      withSource(ecr({ auth: { secretRef: { name: "aws-keys" }, serviceAccountRef: { name: "puller" } } })),
      ["spec.sources[0].ecr.auth", "auth must set exactly one of secretRef and serviceAccountRef"],
    ],
    [
      "ecr auth with neither secretRef nor serviceAccountRef",
      withSource(ecr({ auth: {} })),
      ["spec.sources[0].ecr.auth", "auth must set exactly one of secretRef and serviceAccountRef"],
    ],
    [
      "an assumeRole roleArn with a short account id",
      withSource(ecr({ assumeRole: { roleArn: "arn:aws:iam::12345:role/ecr-puller" } })),
      ["spec.sources[0].ecr.assumeRole.roleArn", "should match"],
    ],
    [
      "an assumeRole roleArn naming a user, not a role",
      withSource(ecr({ assumeRole: { roleArn: "arn:aws:iam::123456789012:user/alice" } })),
      ["spec.sources[0].ecr.assumeRole.roleArn", "should match"],
    ],
    [
      "a serviceAccountRef roleArn that is not an ARN",
      withSource(ecr({ auth: { serviceAccountRef: { name: "puller", roleArn: "ecr-puller" } } })),
      ["spec.sources[0].ecr.auth.serviceAccountRef.roleArn", "should match"],
    ],
    [
      "a source with both ecr and ecrPublic",
      { sources: [{ ...ecr(), ecrPublic: {} }] },
      [
        "spec.sources[0]",
        "each source must set exactly one provider block (ecr, ecrPublic, gar, acr, basic or dockerConfig)",
      ],
    ],
    [
      "an unknown host form",
      withSource(ecr({ hostForms: ["IPv6"] })),
      ["spec.sources[0].ecr.hostForms[0]", "Unsupported value", '"IPv6"'],
    ],
    [
      "a repeated host form",
      withSource(ecr({ hostForms: ["Standard", "Standard"] })),
      ["spec.sources[0].ecr.hostForms[1]", "Duplicate value"],
    ],
    [
      "an empty list of host forms",
      withSource(ecr({ hostForms: [] })),
      ["spec.sources[0].ecr.hostForms", "should have at least 1 items"],
    ],
    [
      "the FIPS host form in a European region",
      withSource(ecr({ hostForms: ["Standard", "FIPS"] })),
      ["spec.sources[0].ecr", "the FIPS host forms exist only in the US and GovCloud regions"],
    ],
    [
      "the dual-stack FIPS host form in Canada",
      withSource(ecr({ region: "ca-central-1", hostForms: ["DualStackFIPS"] })),
      ["spec.sources[0].ecr", "the FIPS host forms exist only in the US and GovCloud regions"],
    ],
    [
      "the FIPS host form in China",
      withSource(ecr({ region: "cn-north-1", hostForms: ["FIPS"] })),
      ["spec.sources[0].ecr", "the FIPS host forms exist only in the US and GovCloud regions"],
    ],
    [
      "the dual-stack host form in China",
      withSource(ecr({ region: "cn-northwest-1", hostForms: ["DualStack"] })),
      ["spec.sources[0].ecr", "the dual-stack host forms are not available in the China or ISO partitions"],
    ],
    [
      "the dual-stack host form in an ISO region",
      withSource(ecr({ region: "us-iso-east-1", hostForms: ["DualStack"] })),
      ["spec.sources[0].ecr", "the dual-stack host forms are not available in the China or ISO partitions"],
    ],
    [
      "ecrPublic auth with both secretRef and serviceAccountRef",
      withSource({ ecrPublic: { auth: { secretRef: { name: "k" }, serviceAccountRef: { name: "sa" } } } }),
      ["spec.sources[0].ecrPublic.auth", "auth must set exactly one of secretRef and serviceAccountRef"],
    ],
    [
      "an ecrPublic assumeRole roleArn naming a user",
      withSource({ ecrPublic: { assumeRole: { roleArn: "arn:aws:iam::123456789012:user/alice" } } }),
      ["spec.sources[0].ecrPublic.assumeRole.roleArn", "should match"],
    ],
    [
      "a gar registry host that is not Artifact or Container Registry",
      withSource(gar({ registries: ["docker.io"] })),
      ["spec.sources[0].gar.registries[0]", "should match"],
    ],
    [
      "a gar registry with a scheme and path",
      withSource(gar({ registries: ["https://europe-west1-docker.pkg.dev/project/repo"] })),
      ["spec.sources[0].gar.registries[0]", "should match"],
    ],
    [
      "an empty list of gar registries",
      withSource(gar({ registries: [] })),
      ["spec.sources[0].gar.registries", "should have at least 1 items"],
    ],
    [
      "gar auth with both secretRef and serviceAccountRef",
      withSource(
        gar({ auth: { secretRef: { name: "gcp-key" }, serviceAccountRef: { name: "puller", audience } } }),
      ),
      ["spec.sources[0].gar.auth", "auth must set exactly one of secretRef and serviceAccountRef"],
    ],
    [
      "gar auth with neither secretRef nor serviceAccountRef",
      withSource(gar({ auth: {} })),
      ["spec.sources[0].gar.auth", "auth must set exactly one of secretRef and serviceAccountRef"],
    ],
    [
      "a gar serviceAccountRef without an audience",
      withSource(gar({ auth: { serviceAccountRef: { name: "puller" } } })),
      ["spec.sources[0].gar.auth.serviceAccountRef.audience", "Required value"],
    ],
    [
      "a gar serviceAccountRef audience that is not a workload identity provider",
      withSource(gar({ auth: { serviceAccountRef: { name: "puller", audience: "sts.googleapis.com" } } })),
      ["spec.sources[0].gar.auth.serviceAccountRef.audience", "should match"],
    ],
    [
      "a gar serviceAccountRef audience with a https: scheme",
      withSource(gar({ auth: { serviceAccountRef: { name: "puller", audience: `https:${audience}` } } })),
      ["spec.sources[0].gar.auth.serviceAccountRef.audience", "should match"],
    ],
    [
      "an impersonated account that is not a Google service account",
      withSource(gar({ impersonate: { serviceAccount: "puller@example.com" } })),
      ["spec.sources[0].gar.impersonate.serviceAccount", "should match"],
    ],
    [
      "a delegate that is not a Google service account",
      withSource(
        gar({
          impersonate: {
            serviceAccount: "puller@proj.iam.gserviceaccount.com",
            delegates: ["alice@gmail.com"],
          },
        }),
      ),
      ["spec.sources[0].gar.impersonate.delegates[0]", "should match"],
    ],
    ["a minInterval below 10s", withRefresh({ minInterval: "9s" }), ["minInterval must be at least 10s"]],
    ["a minInterval of 9999ms", withRefresh({ minInterval: "9999ms" }), ["minInterval must be at least 10s"]],
    [
      "a maxInterval above 24h",
      withRefresh({ maxInterval: "24h1s" }),
      ["maxInterval must be between 10s and 24h"],
    ],
    [
      "a maxInterval below 10s",
      withRefresh({ maxInterval: "5s" }),
      ["maxInterval must be between 10s and 24h"],
    ],
    [
      "a minInterval above the maxInterval",
      withRefresh({ minInterval: "2h", maxInterval: "1h" }),
      ["spec.refresh", "minInterval must not exceed maxInterval"],
    ],
    [
      "a minInterval that is not a duration",
      withRefresh({ minInterval: "soon" }),
      ["spec.refresh.minInterval"],
    ],
    [
      "a lifetimeFraction below 0.1",
      withRefresh({ lifetimeFraction: 0.05 }),
      ["spec.refresh.lifetimeFraction", "should be greater than or equal to 0.1"],
    ],
    [
      "a lifetimeFraction above 0.9",
      withRefresh({ lifetimeFraction: 0.95 }),
      ["spec.refresh.lifetimeFraction", "should be less than or equal to 0.9"],
    ],
    [
      "a jitterFraction above 0.3",
      withRefresh({ jitterFraction: 0.31 }),
      ["spec.refresh.jitterFraction", "should be less than or equal to 0.3"],
    ],
    [
      "a negative jitterFraction",
      withRefresh({ jitterFraction: -0.1 }),
      ["spec.refresh.jitterFraction", "should be greater than or equal to 0"],
    ],
    [
      "a deletionPolicy other than Delete or Retain",
      withSource(ecr(), { deletionPolicy: "Orphan" }),
      ["spec.deletionPolicy", "Unsupported value", '"Orphan"'],
    ],
    [
      "a lower-case deletionPolicy",
      withSource(ecr(), { deletionPolicy: "delete" }),
      ["spec.deletionPolicy", "Unsupported value"],
    ],
    [
      "a secret name with upper case and underscores",
      withSource(ecr(), { secret: { name: "Pull_Secret" } }),
      ["spec.secret.name", "should match"],
    ],
    [
      "a secret name ending in a dash",
      withSource(ecr(), { secret: { name: "pull-" } }),
      ["spec.secret.name", "should match"],
    ],
    [
      "a serviceAccountRef role ARN longer than 2048 characters",
      withSource(
        ecr({
          auth: {
            serviceAccountRef: {
              name: "puller",
              roleArn: `arn:aws:iam::123456789012:role/${"a".repeat(2048)}`,
            },
          },
        }),
      ),
      ["spec.sources[0].ecr.auth.serviceAccountRef.roleArn", "2048"],
    ],
    [
      "more than 32 extra annotations for the Secret",
      withSource(ecr(), {
        secret: { annotations: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`note-${i}`, "x"])) },
      }),
      ["spec.secret.annotations", "must have at most 32 items"],
    ],
    [
      "an extra annotation value over 4 KiB",
      withSource(ecr(), { secret: { annotations: { note: "x".repeat(4097) } } }),
      ["spec.secret.annotations.note", "4096"],
    ],
    [
      "a secret name longer than 253 characters",
      withSource(ecr(), { secret: { name: `${"a".repeat(63)}.`.repeat(4).concat("b".repeat(10)) } }),
      ["spec.secret.name", "253"],
    ],
  ])(
    "%s",
    async (_name, spec, expected) => {
      const { status, message } = await expectStatus(create(spec));
      expect(status).toBe(422);
      for (const part of expected) expect(message).toContain(part);
    },
    timeout,
  );
});

describe("the RegistryCredential CRD accepts", () => {
  it.each<[string, RegistryCredentialSpec]>([
    ["a minimal ecr source (ambient identity)", { sources: [{ ecr: { region: "eu-west-1" } }] }],
    [
      "verification under Enforce every 30 minutes, a canary by tag and one by digest, and eviction of stuck pods",
      {
        sources: [
          { ...ecr(), verify: { image: "team/app:stable" } },
          { ...gar(), verify: { image: `library/busybox@sha256:${"a".repeat(64)}` } },
        ],
        verify: { mode: "Enforce", interval: "30m" },
        pullFailures: { evictPodsMissingSecret: true },
      },
    ],
    [
      "a static Docker Hub token beside an ECR source, and a Harbor robot with its name in the spec",
      {
        sources: [
          ecrWithStaticKeys("aws-keys"),
          { basic: { registries: ["docker.io"], secretRef: { name: "hub", passwordKey: "token" } } },
          {
            basic: {
              registries: ["harbor.example.com:8443"],
              username: "robot$puller",
              secretRef: { name: "harbor" },
            },
          },
        ],
      },
    ],
    [
      "a dockerConfig source with and without hosts",
      {
        sources: [
          { dockerConfig: { secretRef: { name: "legacy" } } },
          { dockerConfig: { secretRef: { name: "quay" }, hosts: ["quay.io", "10.0.0.7:5000"] } },
        ],
      },
    ],
    [
      "an ECR pull-through cache with a docker.io alias and its acknowledgement",
      {
        sources: [
          {
            ecr: { region: "eu-west-1", registryIds: ["123456789012"] },
            aliases: ["docker.io"],
            aliasesAcknowledgement: "SendsTokenUpstreamWhenMirrorFails",
          },
        ],
      },
    ],

    ["an ecr source with static keys", { sources: [ecrWithStaticKeys("aws-keys")] }],
    [
      "an ecr source with registryIds and a chained assumeRole",
      {
        sources: [
          {
            ecr: {
              region: "us-east-1",
              registryIds: ["123456789012", "210987654321"],
              auth: {
                secretRef: {
                  name: "aws-keys",
                  accessKeyIdKey: "id",
                  secretAccessKeyKey: "secret",
                  sessionTokenKey: "session",
                },
              },
              assumeRole: { roleArn, externalId: "tenant-a", sessionName: "regcred@team-a" },
            },
          },
        ],
      },
    ],
    [
      "an ecr source with a serviceAccountRef in GovCloud",
      {
        sources: [
          {
            ecr: {
              region: "us-gov-west-1",
              auth: {
                serviceAccountRef: {
                  name: "puller",
                  roleArn: "arn:aws-us-gov:iam::123456789012:role/path/ecr-puller",
                  audience: "sts.amazonaws.com",
                },
              },
            },
          },
        ],
      },
    ],
    [
      "an ecr source assuming a role in an ISO partition",
      {
        sources: [
          {
            ecr: {
              region: "us-isob-east-1",
              auth: {
                serviceAccountRef: {
                  name: "puller",
                  roleArn: "arn:aws-iso-b:iam::123456789012:role/ecr-puller",
                },
              },
              assumeRole: { roleArn: "arn:aws-iso-b:iam::123456789012:role/reader" },
            },
          },
        ],
      },
    ],
    [
      "an ecr source in China with a China role, several accounts and the Standard form",
      {
        sources: [
          {
            ecr: {
              region: "cn-north-1",
              registryIds: ["123456789012", "210987654321"],
              hostForms: ["Standard"],
              auth: {
                serviceAccountRef: {
                  name: "puller",
                  roleArn: "arn:aws-cn:iam::123456789012:role/ecr-puller",
                },
              },
            },
          },
        ],
      },
    ],
    [
      "every host form in a US region",
      {
        sources: [
          {
            ecr: {
              region: "us-east-1",
              hostForms: ["Standard", "FIPS", "DualStack", "DualStackFIPS"],
              auth: { secretRef: { name: "aws-keys" } },
            },
          },
        ],
      },
    ],
    [
      "the FIPS host form in GovCloud",
      { sources: [{ ecr: { region: "us-gov-west-1", hostForms: ["FIPS"] } }] },
    ],
    ["dual-stack alone in Europe", { sources: [{ ecr: { region: "eu-west-1", hostForms: ["DualStack"] } }] }],
    ["a minimal ecrPublic source (ambient identity)", { sources: [{ ecrPublic: {} }] }],
    [
      "an ecrPublic source with a serviceAccountRef and a chained assumeRole",
      {
        sources: [
          {
            ecrPublic: {
              auth: { serviceAccountRef: { name: "puller", roleArn } },
              assumeRole: { roleArn, sessionName: "regcred-public" },
            },
          },
        ],
      },
    ],
    [
      "an ecr, an ecrPublic and a gar source together",
      {
        sources: [
          ecrWithStaticKeys("aws-keys"),
          { ecrPublic: { auth: { secretRef: { name: "aws-keys" } } } },
          { gar: { registries: ["gcr.io"] } },
        ],
      },
    ],
    [
      "a gar source with a serviceAccountRef and impersonation",
      {
        sources: [
          {
            gar: {
              registries: ["europe-west1-docker.pkg.dev", "us-docker.pkg.dev", "gcr.io", "eu.gcr.io"],
              auth: { serviceAccountRef: { name: "puller", audience } },
              impersonate: {
                serviceAccount: "puller@my-project-123.iam.gserviceaccount.com",
                delegates: ["hop@my-project-123.iam.gserviceaccount.com"],
              },
            },
          },
        ],
      },
    ],
    [
      "a gar source with a secretRef",
      {
        sources: [
          { gar: { registries: ["asia.gcr.io"], auth: { secretRef: { name: "gcp-key", key: "key.json" } } } },
        ],
      },
    ],
    ["a minimal gar source (ambient identity)", { sources: [{ gar: { registries: ["gcr.io"] } }] }],
    [
      "an ecr and a gar source together, with a Secret template and Retain",
      {
        sources: [ecrWithStaticKeys("aws-keys"), { gar: { registries: ["gcr.io"] } }],
        secret: { name: "pull.team-a", labels: { team: "a" }, annotations: { note: "x" } },
        deletionPolicy: "Retain",
      },
    ],
    [
      "refresh bounds at their lower limits",
      {
        sources: [ecrWithStaticKeys("aws-keys")],
        refresh: { minInterval: "10s", maxInterval: "10s", lifetimeFraction: 0.1, jitterFraction: 0 },
      },
    ],
    [
      "refresh bounds at their upper limits",
      {
        sources: [ecrWithStaticKeys("aws-keys")],
        refresh: { minInterval: "24h", maxInterval: "24h", lifetimeFraction: 0.9, jitterFraction: 0.3 },
      },
    ],
    [
      "compound refresh durations",
      { sources: [ecrWithStaticKeys("aws-keys")], refresh: { minInterval: "1m30s", maxInterval: "1h30m" } },
    ],
  ])(
    "%s",
    async (_name, spec) => {
      const name = uniqueName("valid");
      const created = await create(spec, name);
      expect(created.metadata.name).toBe(name);
      expect(created.spec).toMatchObject(spec as unknown as Record<string, unknown>);
    },
    timeout,
  );

  it(
    "defaults deletionPolicy to Delete",
    async () => {
      const credentials = new RegistryCredentials(kc, namespace);
      const name = uniqueName("defaults");
      const created = await credentials.create(
        registryCredential(name, { sources: [ecrWithStaticKeys("keys")] }),
      );
      expect(created.spec.deletionPolicy).toBe("Delete");
      expect((await credentials.get(name))?.spec.deletionPolicy).toBe("Delete");
    },
    timeout,
  );
});

describe("the Secret's name is fixed once a credential is created", () => {
  const mergePatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
  const patchRc = (name: string, spec: unknown) =>
    objects.patchNamespacedCustomObject(
      { group, version, namespace, plural: registryCredentialNames.plural, name, body: { spec } },
      mergePatch,
    );
  const immutable = "spec.secret.name cannot be changed once set";

  it.each<[string, RegistryCredentialSpec, unknown]>([
    [
      "renaming spec.secret.name",
      withSource(ecr(), { secret: { name: "old-pull" } }) as RegistryCredentialSpec,
      { secret: { name: "new-pull" } },
    ],
    [
      "setting spec.secret.name where the resource's name was used",
      withSource(ecr()) as RegistryCredentialSpec,
      { secret: { name: "new-pull" } },
    ],
    [
      "removing spec.secret.name",
      withSource(ecr(), { secret: { name: "old-pull" } }) as RegistryCredentialSpec,
      { secret: { name: null } },
    ],
  ])(
    "rejects %s on a RegistryCredential",
    async (_name, spec, patch) => {
      const name = uniqueName("rename");
      await create(spec, name);
      const { status, message } = await expectStatus(patchRc(name, patch));
      expect(status).toBe(422);
      expect(message).toContain(immutable);
    },
    timeout,
  );

  it(
    "accepts other changes to spec.secret and the rest of the spec",
    async () => {
      const name = uniqueName("rename");
      await create(withSource(ecr(), { secret: { name: "pull" } }), name);
      await patchRc(name, { secret: { name: "pull", labels: { team: "a" } }, deletionPolicy: "Retain" });
      const current = (await objects.getNamespacedCustomObject({
        group,
        version,
        namespace,
        plural: registryCredentialNames.plural,
        name,
      })) as RegistryCredential;
      expect(current.spec.secret).toEqual({ name: "pull", labels: { team: "a" } });
    },
    timeout,
  );

  it(
    "rejects renaming spec.secret.name on a ClusterRegistryCredential",
    async () => {
      const credentials = new ClusterRegistryCredentials(kc);
      const name = uniqueName("rename");
      await credentials.create(
        clusterRegistryCredential(name, {
          sources: [ecrWithStaticKeys("keys")],
          namespaces: { names: ["nowhere"] },
          secret: { name: "old-pull" },
        }),
      );
      try {
        const { status, message } = await expectStatus(
          credentials.patchSpec(name, { secret: { name: "new-pull" } }),
        );
        expect(status).toBe(422);
        expect(message).toContain(immutable);
      } finally {
        await credentials.delete(name);
      }
    },
    timeout,
  );
});
