// regcred audit's image-pull-failing rule: pods the kubelet reports in ErrImagePull or
// ImagePullBackOff, classified from its message, with the fix per cause and cloud.
import { describe, expect, it } from "@jest/globals";
import type { V1Pod, V1Secret } from "@kubernetes/client-node";
import { formatFindings } from "../../../src/cli/audit.js";
import { type AuditInput, audit, type Finding } from "../../../src/cli/audit-rules.js";

const now = new Date("2026-01-01T12:00:00Z");
const ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const gar = "europe-west1-docker.pkg.dev";
const acr = "contoso.azurecr.io";
const status = (host: string, path: string, code: string) =>
  `failed to pull and unpack image "${host}/${path}": failed to resolve reference "${host}/${path}": unexpected status from HEAD request to https://${host}/v2/${path.replace(":", "/manifests/")}: ${code}`;

/** A pull Secret of namespace app for `hosts`; managed (labelled, with an owner) when `owner` is given. */
function pullSecret(name: string, hosts: string[], owner?: string): V1Secret {
  const auths = Object.fromEntries(
    hosts.map((h) => [h, { username: "u", password: "tok-SECRET", auth: "x" }]),
  );
  return {
    metadata: {
      name,
      namespace: "app",
      ...(owner
        ? {
            labels: { "app.kubernetes.io/managed-by": "registry-credential-operator" },
            annotations: { "regcred.dev/owner": owner, "regcred.dev/expires-at": "2026-01-01T20:00:00Z" },
          }
        : {}),
    },
    type: "kubernetes.io/dockerconfigjson",
    data: { ".dockerconfigjson": Buffer.from(JSON.stringify({ auths })).toString("base64") },
  };
}

/** A pod of namespace app whose container "app" waits in `reason` with the kubelet's `message`. */
function failingPod(
  image: string,
  message: string,
  pullSecrets: string[] = [],
  reason = "ErrImagePull",
): V1Pod {
  return {
    metadata: { name: "web", namespace: "app" },
    spec: {
      serviceAccountName: "runner",
      containers: [{ name: "app", image }],
      imagePullSecrets: pullSecrets.map((name) => ({ name })),
    },
    status: {
      containerStatuses: [
        {
          name: "app",
          image,
          imageID: "",
          ready: false,
          restartCount: 0,
          state: { waiting: { reason, message } },
        },
      ],
    },
  };
}

function input(overrides: Partial<AuditInput>): AuditInput {
  return {
    pods: [],
    secrets: [],
    serviceAccounts: [],
    registryCredentials: [],
    clusterRegistryCredentials: [],
    namespaces: [{ metadata: { name: "app" } }],
    now,
    expiringWithinMs: 3_600_000,
    ...overrides,
  };
}

const pullFindings = (overrides: Partial<AuditInput>): Finding[] =>
  audit(input(overrides)).filter((f) => f.rule === "image-pull-failing");

describe("the image-pull-failing rule", () => {
  it.each<[string, string, string, string[], string[]]>([
    [
      "asks for the ECR pull permissions, the region and the pull-through cache's, when ECR refuses the login",
      `${ecr}/app:1`,
      status(ecr, "app:1", "401 Unauthorized"),
      [
        "ecr:GetAuthorizationToken",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchCheckLayerAvailability",
      ],
      ["region must be eu-west-1", "ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
    ],
    [
      "asks for the ECR Public permissions when public.ecr.aws refuses the login",
      "public.ecr.aws/team/web:1",
      status("public.ecr.aws", "team/web:1", "403 Forbidden"),
      ["ecr-public:GetAuthorizationToken", "sts:GetServiceBearerToken"],
      [],
    ],
    [
      "asks for the Artifact Registry reader role and the Workload Identity binding when it answers 403",
      `${gar}/p/r/app:1`,
      `${status(gar, "p/r/app:1", "403 Forbidden")}\ndenied: Permission "artifactregistry.repositories.downloadArtifacts" denied on resource "projects/p/locations/europe-west1/repositories/r" (or it may not exist)`,
      ["roles/artifactregistry.reader", "roles/iam.workloadIdentityUser"],
      ["principal://iam.googleapis.com/"],
    ],
    [
      "asks for AcrPull and the federated credential's subject when ACR refuses the login",
      `${acr}/app:1`,
      `${status(acr, "app:1", "401 Unauthorized")}\nunauthorized: authentication required, visit https://aka.ms/acr/authorization for more information`,
      ["AcrPull", "system:serviceaccount:NAMESPACE:NAME", "api://AzureADTokenExchange"],
      [],
    ],
    [
      "asks to check the robot account or token of a registry served by static credentials",
      "harbor.example.com/team/app:1",
      'failed to pull and unpack image "harbor.example.com/team/app:1": failed to resolve reference "harbor.example.com/team/app:1": failed to authorize: failed to fetch oauth token: unexpected status from POST request to https://harbor.example.com/service/token: 401 Unauthorized',
      ["robot account or access token"],
      [],
    ],
    [
      "says to check the image name too for Docker Hub's answer that may mean a missing repository",
      "acme/private:1",
      'failed to pull and unpack image "docker.io/acme/private:1": failed to resolve reference "docker.io/acme/private:1": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed',
      ["robot account or access token", "check the image name too"],
      [],
    ],
  ])("%s", (_name, image, message, fixes, alsoFixes) => {
    const host =
      image.includes("/") && image.split("/")[0]?.includes(".")
        ? (image.split("/")[0] as string)
        : "docker.io";
    const findings = pullFindings({
      pods: [failingPod(image, message, ["pull"])],
      secrets: [pullSecret("pull", [host])],
    });
    expect(findings).toEqual([
      expect.objectContaining({
        namespace: "app",
        object: "Pod/web",
        cause: "CredentialsRefused",
        message: expect.stringContaining(
          `app: ErrImagePull for ${image}: the registry refused the credentials`,
        ),
      }),
    ]);
    for (const fix of [...fixes, ...alsoFixes]) expect(findings[0]?.fix).toContain(fix);
  });

  it.each<[string, string, string, string, string[]]>([
    [
      "points at describe-images and the pull-through cache permissions for an ECR tag not found",
      `${ecr}/cache/library/nginx:nope`,
      `rpc error: code = NotFound desc = failed to pull and unpack image "${ecr}/cache/library/nginx:nope": failed to resolve image: ${ecr}/cache/library/nginx:nope: not found`,
      "NotFound",
      ["aws ecr describe-images --region eu-west-1", "ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
    ],
    [
      "points at the Artifact Registry path for an image not found there",
      `${gar}/p/r/app:nope`,
      `rpc error: code = NotFound desc = failed to pull and unpack image "${gar}/p/r/app:nope": failed to resolve reference "${gar}/p/r/app:nope": ${gar}/p/r/app:nope: not found`,
      "NotFound",
      [`gcloud artifacts docker images list ${gar}/PROJECT/REPOSITORY`],
    ],
    [
      "points at the VPC endpoints when nodes cannot reach ECR",
      `${ecr}/app:1`,
      `failed to pull and unpack image "${ecr}/app:1": failed to resolve reference "${ecr}/app:1": failed to do request: Head "https://${ecr}/v2/app/manifests/1": dial tcp 52.94.1.1:443: i/o timeout`,
      "Unreachable",
      ["com.amazonaws.eu-west-1.ecr.dkr", "com.amazonaws.eu-west-1.ecr.api", "S3 gateway endpoint"],
    ],
    [
      "points at the node's container runtime trust for a private registry's unknown CA",
      "registry.internal:5000/app:1",
      'failed to pull and unpack image "registry.internal:5000/app:1": failed to resolve reference "registry.internal:5000/app:1": failed to do request: Head "https://registry.internal:5000/v2/app/manifests/1": tls: failed to verify certificate: x509: certificate signed by unknown authority',
      "Unreachable",
      ["/etc/containerd/certs.d/registry.internal:5000/hosts.toml", "Credentials play no part"],
    ],
    [
      "gives the generic advice for a back-off message that embeds no error",
      `${ecr}/app:1`,
      `Back-off pulling image "${ecr}/app:1"`,
      "Other",
      ["kubectl describe pod", "rate limit"],
    ],
  ])("%s", (_name, image, message, cause, fixes) => {
    const host = (image.split("/")[0] as string).toLowerCase();
    const findings = pullFindings({
      pods: [failingPod(image, message, ["pull"], cause === "Other" ? "ImagePullBackOff" : "ErrImagePull")],
      secrets: [pullSecret("pull", [host], "RegistryCredential/app/pull")],
    });
    expect(findings).toEqual([expect.objectContaining({ object: "Pod/web", cause })]);
    for (const fix of fixes) expect(findings[0]?.fix).toContain(fix);
  });

  it("says when a managed Secret covers the host but the pod lacks it, and how to recreate the pod", () => {
    const findings = pullFindings({
      pods: [
        failingPod(
          `${ecr}/app:1`,
          `failed to pull and unpack image "${ecr}/app:1": failed to resolve image: pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials`,
          [],
          "ImagePullBackOff",
        ),
      ],
      secrets: [pullSecret("ecr-pull", [ecr], "RegistryCredential/app/ecr")],
    });
    expect(findings).toEqual([
      expect.objectContaining({
        cause: "CredentialsRefused",
        message: expect.stringContaining(
          `managed Secret "ecr-pull" (owned by RegistryCredential/app/ecr) covers ${ecr} but the pod's imagePullSecrets lacks it`,
        ),
        fix: expect.stringMatching(
          /ServiceAccount "runner".*recreate the pod.*spec\.pullFailures\.evictPodsMissingSecret: true on RegistryCredential\/app\/ecr/,
        ),
      }),
    ]);
  });

  it("says the pod sends no login when no Secret of the namespace covers a refused host", () => {
    const findings = pullFindings({
      pods: [failingPod(`${ecr}/app:1`, status(ecr, "app:1", "401 Unauthorized"), ["other"])],
      secrets: [pullSecret("other", [gar])],
    });
    expect(findings.map((f) => f.fix)).toEqual([
      expect.stringContaining(`the pod sends no login for ${ecr}`),
    ]);
  });

  it("never blames an unreachable registry on a Secret the pod lacks", () => {
    const findings = pullFindings({
      pods: [
        failingPod(
          `${ecr}/app:1`,
          `failed to do request: Head "https://${ecr}/v2/app/manifests/1": dial tcp: lookup ${ecr}: no such host`,
        ),
      ],
      secrets: [pullSecret("ecr-pull", [ecr], "RegistryCredential/app/ecr")],
    });
    expect(findings).toEqual([
      expect.objectContaining({ cause: "Unreachable", fix: expect.stringContaining("VPC") }),
    ]);
    expect(findings[0]?.message).not.toContain("lacks it");
  });

  it("reports each failing container of a pod, init containers included, and nothing for running pods", () => {
    const failing = failingPod(`${ecr}/app:1`, status(ecr, "app:1", "401 Unauthorized"), ["pull"]);
    const withInit: V1Pod = {
      ...failing,
      spec: {
        ...failing.spec,
        initContainers: [{ name: "migrate", image: `${ecr}/migrate:1` }],
        containers: failing.spec?.containers ?? [],
      },
      status: {
        ...failing.status,
        initContainerStatuses: [
          {
            name: "migrate",
            image: `${ecr}/migrate:1`,
            imageID: "",
            ready: false,
            restartCount: 0,
            state: {
              waiting: { reason: "ErrImagePull", message: status(ecr, "migrate:1", "404 Not Found") },
            },
          },
        ],
      },
    };
    const runningPod: V1Pod = {
      metadata: { name: "ok", namespace: "app" },
      spec: { containers: [{ name: "app", image: `${ecr}/app:1` }], imagePullSecrets: [{ name: "pull" }] },
      status: {
        containerStatuses: [
          {
            name: "app",
            image: `${ecr}/app:1`,
            imageID: "x",
            ready: true,
            restartCount: 0,
            state: { running: {} },
          },
        ],
      },
    };
    const findings = pullFindings({ pods: [withInit, runningPod], secrets: [pullSecret("pull", [ecr])] });
    expect(findings.map((f) => [f.object, f.cause, f.message.split(":")[0]])).toEqual([
      ["Pod/web", "NotFound", "migrate"],
      ["Pod/web", "CredentialsRefused", "app"],
    ]);
  });

  it("quotes the kubelet's message redacted and never prints a Secret's values", () => {
    const leaked = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
    const findings = pullFindings({
      pods: [
        failingPod(`${ecr}/app:1`, `${status(ecr, "app:1", "401 Unauthorized")} token ${leaked}`, ["pull"]),
      ],
      secrets: [pullSecret("pull", [ecr])],
    });
    const printed = `${JSON.stringify(findings)}\n${formatFindings(findings)}`;
    expect(printed).toContain("401 Unauthorized");
    expect(printed).not.toContain(leaked);
    expect(printed).not.toContain("tok-SECRET");
  });
});
