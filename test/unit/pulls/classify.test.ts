// The kubelet's pull error messages, as they are assembled from the real sources (k8s.io/kubernetes
// v1.37, containerd v2.4, k8s.io/cri-client v0.37), and the cause each is classified as.
//
// How a message is put together, outermost first:
// - kubelet pkg/kubelet/images/image_manager.go: ErrImagePull's message is the CRI error's text
//   (evalCRIPullErr); ImagePullBackOff's is `Back-off pulling image "<image>": ErrImagePull: <that
//   text>` (prevPullErrMsg), or just `Back-off pulling image "<image>"` when none was kept.
// - k8s.io/cri-client pkg/remote_image.go: drops "rpc error: code = Unknown desc = " but keeps other
//   codes, e.g. "rpc error: code = NotFound desc = " (containerd's errgrpc.ToGRPC of ErrNotFound).
// - containerd internal/cri/server/images/image_pull.go: `failed to pull and unpack image "<ref>": `;
//   then client/pull.go `failed to resolve reference "<ref>": ` (local pull) or
//   core/transfer/local/pull.go `failed to resolve image: ` (transfer service, the 2.x default).
// - containerd core/remotes/docker/*.go and core/remotes/errors/errors.go: the registry's answer.
import { describe, expect, it } from "@jest/globals";
import { classifyPullMessage, type PullFailureCause } from "../../../src/pulls/classify.js";

const ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const local = (ref: string, error: string) =>
  `failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${error}`;
const transfer = (ref: string, error: string) =>
  `failed to pull and unpack image "${ref}": failed to resolve image: ${error}`;

const cases: [string, string, PullFailureCause][] = [
  // resolver.go: unexpectedResponseErr after the Basic challenge was answered and refused again
  // (retryRequest stops after maxAttempts); errors.go ErrUnexpectedStatus.Error.
  [
    "an ECR token the registry no longer accepts is refused credentials",
    local(
      `${ecr}/app:1`,
      `unexpected status from HEAD request to https://${ecr}/v2/app/manifests/1: 401 Unauthorized`,
    ),
    "CredentialsRefused",
  ],
  // authorizer.go AddResponses: "%w: no basic auth credentials" of ErrInvalidAuthorization, which
  // resolver.go wraps in "pull access denied, repository does not exist or may require authorization".
  [
    "a pod that sends no login to a Basic-auth registry is refused credentials",
    transfer(
      `${ecr}/app:1`,
      "pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials",
    ),
    "CredentialsRefused",
  ],
  // authorizer.go invalidAuthorization: the token server's second challenge with error=insufficient_scope.
  [
    "Docker Hub's answer for a private or missing repository is refused credentials (ambiguous by design)",
    local(
      "docker.io/acme/private:1",
      "pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed",
    ),
    "CredentialsRefused",
  ],
  // resolver.go request.do "failed to authorize"; authorizer.go fetchToken "failed to fetch oauth token".
  [
    "a token server refusing the login is refused credentials",
    local(
      "harbor.example.com/team/app:1",
      "failed to authorize: failed to fetch oauth token: unexpected status from POST request to https://harbor.example.com/service/token: 401 Unauthorized",
    ),
    "CredentialsRefused",
  ],
  // authorizer.go fetchToken: "failed to fetch anonymous token".
  [
    "an anonymous token request answered 403 is refused credentials",
    transfer(
      "ghcr.io/org/app:1",
      "failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://ghcr.io/token?scope=repository%3Aorg%2Fapp%3Apull&service=ghcr.io: 403 Forbidden",
    ),
    "CredentialsRefused",
  ],
  // resolver.go withGETErrorBody (a HEAD 403 carries no body) and errcode.go errors.Join of the
  // status with the registry's error, DENIED printed as "denied: <message>".
  [
    "an Artifact Registry 403 naming the missing permission is refused credentials, not not found",
    local(
      "europe-west1-docker.pkg.dev/p/r/app:1",
      'unexpected status from HEAD request to https://europe-west1-docker.pkg.dev/v2/p/r/app/manifests/1: 403 Forbidden\ndenied: Permission "artifactregistry.repositories.downloadArtifacts" denied on resource "projects/p/locations/europe-west1/repositories/r" (or it may not exist)',
    ),
    "CredentialsRefused",
  ],
  // image_manager.go: the back-off message wraps the last ErrImagePull message.
  [
    "ImagePullBackOff is classified by the error it embeds",
    `Back-off pulling image "${ecr}/app:1": ErrImagePull: ${local(
      `${ecr}/app:1`,
      `unexpected status from HEAD request to https://${ecr}/v2/app/manifests/1: 401 Unauthorized`,
    )}`,
    "CredentialsRefused",
  ],
  // errdesc.go ErrorCodeUnauthorized / ErrorCodeDenied messages, as errcode.go prints codes.
  [
    "distribution's UNAUTHORIZED code in words is refused credentials",
    "unauthorized: authentication required, visit https://aka.ms/acr/authorization for more information",
    "CredentialsRefused",
  ],
  [
    "distribution's DENIED code in words is refused credentials",
    "denied: requested access to the resource is denied",
    "CredentialsRefused",
  ],
  // resolver.go: a HEAD 404 becomes "<ref>: not found" (errdefs.ErrNotFound), code NotFound over gRPC.
  [
    "a tag that does not exist is not found",
    `rpc error: code = NotFound desc = ${local(
      "docker.io/library/nginx:nope",
      "docker.io/library/nginx:nope: not found",
    )}`,
    "NotFound",
  ],
  [
    "a missing ECR repository through the transfer service is not found",
    `rpc error: code = NotFound desc = ${transfer(`${ecr}/gone:1`, `${ecr}/gone:1: not found`)}`,
    "NotFound",
  ],
  // resolver.go withErrorCheck "content at %v not found"; httpreadseeker.go "failed open";
  // core/content/helpers.go "failed to copy".
  [
    "a blob the registry lost is not found",
    `failed to pull and unpack image "${ecr}/app:1": failed to copy: httpReadSeeker: failed open: content at https://${ecr}/v2/app/blobs/sha256:0123 not found: not found`,
    "NotFound",
  ],
  // resolver.go GET fallback (no digest header) with the registry's MANIFEST_UNKNOWN body joined.
  [
    "a 404 with MANIFEST_UNKNOWN is not found",
    local(
      "quay.io/org/app:x",
      "unexpected status from GET request to https://quay.io/v2/org/app/manifests/x: 404 Not Found\nmanifest unknown: manifest unknown",
    ),
    "NotFound",
  ],
  ["NAME_UNKNOWN in words is not found", "name unknown: repository name not known to registry", "NotFound"],
  // resolver.go request.do "failed to do request"; net/http's url.Error `Head "<url>": <err>`;
  // crypto/tls and crypto/x509.
  [
    "a registry certificate from an unknown CA is unreachable",
    local(
      "registry.internal:5000/app:1",
      'failed to do request: Head "https://registry.internal:5000/v2/app/manifests/1": tls: failed to verify certificate: x509: certificate signed by unknown authority',
    ),
    "Unreachable",
  ],
  [
    "a host DNS cannot resolve is unreachable",
    local(
      "nope.example.com/app:1",
      'failed to do request: Head "https://nope.example.com/v2/app/manifests/1": dial tcp: lookup nope.example.com on 10.96.0.10:53: no such host',
    ),
    "Unreachable",
  ],
  [
    "a connection that times out is unreachable",
    transfer(
      `${ecr}/app:1`,
      `failed to do request: Head "https://${ecr}/v2/app/manifests/1": dial tcp 52.94.1.1:443: i/o timeout`,
    ),
    "Unreachable",
  ],
  [
    "a refused connection is unreachable",
    local(
      "localhost:5000/app:1",
      'failed to do request: Head "https://localhost:5000/v2/app/manifests/1": dial tcp 127.0.0.1:5000: connect: connection refused',
    ),
    "Unreachable",
  ],
  [
    "a plain-http registry contacted over https is unreachable",
    local(
      "registry.local:5000/app:1",
      'failed to do request: Head "https://registry.local:5000/v2/app/manifests/1": http: server gave HTTP response to HTTPS client',
    ),
    "Unreachable",
  ],
  [
    "a TLS handshake timeout is unreachable",
    local(
      "gcr.io/p/app:1",
      'failed to do request: Head "https://gcr.io/v2/p/app/manifests/1": net/http: TLS handshake timeout',
    ),
    "Unreachable",
  ],
  // resolver.go retryRequest retries 5xx on the last host, then unexpectedResponseErr.
  [
    "a registry answering 503 is unreachable",
    local(
      `${ecr}/app:1`,
      `unexpected status from HEAD request to https://${ecr}/v2/app/manifests/1: 503 Service Unavailable`,
    ),
    "Unreachable",
  ],
  // authorizer.go "failed to fetch anonymous token" around a transport error: no registry answer.
  [
    "a token server the node cannot reach is unreachable, not refused credentials",
    local(
      "docker.io/library/nginx:1",
      'failed to authorize: failed to fetch anonymous token: Get "https://auth.docker.io/token?scope=repository%3Alibrary%2Fnginx%3Apull&service=registry.docker.io": dial tcp: lookup auth.docker.io: no such host',
    ),
    "Unreachable",
  ],
  // image_manager.go evalCRIPullErr of the CRI's RegistryUnavailable.
  [
    "the kubelet's registry-unavailable message is unreachable",
    `image pull failed for ${ecr}/app:1 because the registry is unavailable: connection reset`,
    "Unreachable",
  ],
  ["a bare back-off message without the last error is other", 'Back-off pulling image "nginx:1"', "Other"],
  // 429 is retried by resolver.go retryRequest, then printed; TOOMANYREQUESTS in words.
  [
    "Docker Hub's rate limit is other",
    local(
      "docker.io/library/nginx:1",
      "unexpected status from HEAD request to https://registry-1.docker.io/v2/library/nginx/manifests/1: 429 Too Many Requests\ntoomanyrequests: You have reached your unauthenticated pull rate limit",
    ),
    "Other",
  ],
  // image_manager.go evalCRIPullErr of the CRI's SignatureValidationFailed.
  [
    "a failed signature validation is other",
    `image pull failed for ${ecr}/app:1 because the signature validation failed: no signature`,
    "Other",
  ],
  // resolver.go: schema 1 manifests, errdefs.ErrNotImplemented.
  [
    "a schema 1 image is other",
    local(
      "docker.io/old/app:1",
      'not implemented: media type "application/vnd.docker.distribution.manifest.v1+prettyjws" is no longer supported since containerd v2.0',
    ),
    "Other",
  ],
  [
    "a full disk on the node is other",
    `failed to pull and unpack image "${ecr}/app:1": failed to extract layer sha256:0123: write /var/lib/containerd/tmp: no space left on device`,
    "Other",
  ],
];

describe("classifyPullMessage", () => {
  it.each(cases)("%s", (_name, message, cause) => {
    expect(classifyPullMessage(message)).toBe(cause);
  });
});
