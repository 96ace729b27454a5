// What a kubelet pull error says went wrong. The kubelet puts the container runtime's error text in
// waiting.message (k8s.io/kubernetes pkg/kubelet/images/image_manager.go: ErrImagePull carries the
// CRI error; ImagePullBackOff "Back-off pulling image \"<image>\": ErrImagePull: <that error>"),
// and containerd 2.x words the registry's answer in core/remotes/docker (resolver.go, authorizer.go,
// fetcher.go, errcode.go) and core/remotes/errors/errors.go. The patterns below match those words.

export type PullFailureCause = "CredentialsRefused" | "NotFound" | "Unreachable" | "Other";

/**
 * An HTTP status the registry (or its token server) answered, as containerd prints it:
 * "unexpected status from HEAD request to <url>: 401 Unauthorized" (ErrUnexpectedStatus), older
 * "unexpected status: 403 Forbidden", "unexpected HEAD status code <url>: 404 Not Found".
 */
const httpStatus = /\b([45]\d\d) (?:[A-Z][a-z]+(?: [A-Z][a-z]+)*|[A-Z]+)\b/;

/** The node never got an answer it could use: DNS, TCP, TLS, timeouts, a registry down. */
const unreachable = [
  /\bx509: /i, // crypto/x509: "certificate signed by unknown authority", "certificate is valid for"
  /\btls: /i, // crypto/tls: "tls: failed to verify certificate", "remote error: tls: handshake failure"
  /TLS handshake timeout/i, // net/http
  /server gave HTTP response to HTTPS client/i, // net/http, a plain-http registry
  /\bdial tcp\b/i, // net: "dial tcp 10.0.0.1:443: connect: connection refused"
  /no such host/i, // net: DNS
  /server misbehaving/i, // net: DNS
  /i\/o timeout/i,
  /connection refused/i,
  /connection reset/i,
  /network is unreachable/i,
  /no route to host/i,
  /context deadline exceeded/i,
  /Client\.Timeout exceeded/i,
  /unexpected EOF/i,
  /registry is unavailable/i, // kubelet evalCRIPullErr: the CRI's RegistryUnavailable
];

/**
 * The registry refused the login, or sent none: 401/403 answers in words (distribution's error codes
 * UNAUTHORIZED "unauthorized: authentication required" and DENIED "denied: requested access to the
 * resource is denied", containerd's ErrInvalidAuthorization "authorization failed", and its resolver's
 * "pull access denied, repository does not exist or may require authorization", which it prints
 * for a refused authorization whatever the registry meant: see classifyPullMessage), Artifact
 * Registry's `Permission "…" denied on resource`, and containerd's "no basic auth credentials".
 */
const credentialsRefused = [
  /\bunauthorized\b/i,
  /authentication required/i,
  /\bforbidden\b/i,
  /pull access denied/i,
  /\bdenied: /i,
  /access to the resource is denied/i,
  /\baccess denied\b/i,
  /\bpermission "[^"]*" denied\b/i,
  /authorization failed/i,
  /no basic auth credentials/i,
];

/**
 * The repository, tag or digest does not exist: errdefs.ErrNotFound ("<ref>: not found", "content
 * at <url> not found", "could not fetch content … from remote: not found") and the registry's
 * MANIFEST_UNKNOWN / NAME_UNKNOWN / BLOB_UNKNOWN codes ("manifest unknown", "name unknown").
 */
const notFound = [/\bnot found\b/i, /manifest unknown/i, /name unknown/i, /blob unknown/i];

function ofStatus(code: number): PullFailureCause | undefined {
  if (code === 401 || code === 403) return "CredentialsRefused";
  if (code === 404) return "NotFound";
  if (code >= 500) return "Unreachable";
  return undefined;
}

/**
 * Classifies a kubelet/containerd pull error message (waiting.message of ErrImagePull or
 * ImagePullBackOff). Pure. In order: an HTTP status the registry answered (401/403 → credentials
 * refused, 404 → not found, 5xx → unreachable); then transport failures (TLS, DNS, dial, timeouts:
 * no registry answer, so nothing said about the credential); then refusals in words; then "not
 * found" in words; else Other (including the bare "Back-off pulling image" of kubelets that did not
 * yet embed the last error, and 429 rate limits).
 *
 * containerd's "pull access denied, repository does not exist or may require authorization" is
 * CredentialsRefused: the registry refused the authorization for that repository, and registries
 * with token auth (Docker Hub, Harbor) answer a missing repository and a forbidden one alike so as
 * not to reveal which repositories exist. Calling it NotFound would hide a real permission problem
 * (and skip the one re-mint that fixes a revoked token); calling it CredentialsRefused costs one
 * rate-limited re-mint for a repository that does not exist, after which the failure is reported as
 * a permission problem whose fix says to check the name too.
 */
export function classifyPullMessage(message: string): PullFailureCause {
  const status = httpStatus.exec(message);
  const byStatus = status ? ofStatus(Number(status[1])) : undefined;
  if (byStatus) return byStatus;
  if (unreachable.some((pattern) => pattern.test(message))) return "Unreachable";
  if (credentialsRefused.some((pattern) => pattern.test(message))) return "CredentialsRefused";
  if (notFound.some((pattern) => pattern.test(message))) return "NotFound";
  return "Other";
}
