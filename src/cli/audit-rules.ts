import type { V1Namespace, V1Pod, V1Secret, V1ServiceAccount } from "@kubernetes/client-node";
import type { ClusterRegistryCredential, RegistryCredential } from "../api/v1alpha1.js";
import { isTargeted } from "../kube/namespace-selection.js";
import { bindSource, isProviderHost, pullFailureAdviceFor } from "../providers/registry.js";
import { registryOf } from "../providers/registry-host.js";
import type { PullFailureCause } from "../pulls/classify.js";
import { registryHostOf } from "../pulls/image-host.js";
import { pullFailuresOf } from "../pulls/pull-failure.js";
import { parseDockerConfig } from "../secrets/dockerconfig.js";
import { annotations, managedByLabel, managedByValue } from "../secrets/ownership.js";
import { hasPullSecret } from "../serviceaccounts/pull-secret-patch.js";
import { selectsServiceAccount } from "../serviceaccounts/selection.js";
import { formatDuration } from "../util/duration.js";
import { redactSecrets } from "../util/redact.js";
import { authKeyCovers } from "./hosts.js";

type AuditRule =
  | "uncovered-image"
  | "expired-pull-secret"
  | "service-account-missing-secret"
  | "secret-expiring"
  | "image-pull-failing";

/** One problem, with the object it is about and a suggested fix. Never holds token values. */
export interface Finding {
  rule: AuditRule;
  namespace: string;
  object: string;
  message: string;
  fix: string;
  /** image-pull-failing: what the kubelet's message says went wrong. */
  cause?: PullFailureCause;
}

export interface AuditInput {
  pods: V1Pod[];
  secrets: V1Secret[];
  serviceAccounts: V1ServiceAccount[];
  registryCredentials: RegistryCredential[];
  clusterRegistryCredentials: ClusterRegistryCredential[];
  namespaces: V1Namespace[];
  now: Date;
  expiringWithinMs: number;
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

/** Hosts a pull Secret grants: the auths keys of .dockerconfigjson (or legacy .dockercfg). */
function secretRegistryKeys(secret: V1Secret): string[] {
  const data = secret.data ?? {};
  const json = data[".dockerconfigjson"];
  if (json) return Object.keys(parseDockerConfig(Buffer.from(json, "base64").toString("utf8"))?.auths ?? {});
  const legacy = data[".dockercfg"];
  if (legacy) {
    try {
      return Object.keys(JSON.parse(Buffer.from(legacy, "base64").toString("utf8")) as object);
    } catch {
      return [];
    }
  }
  return [];
}

function isManaged(secret: V1Secret): boolean {
  return secret.metadata?.labels?.[managedByLabel] === managedByValue;
}

/** The managed Secret's expires-at in ms, or undefined when unmanaged or unparsable. */
function managedExpiry(secret: V1Secret): number | undefined {
  if (!isManaged(secret)) return undefined;
  const value = secret.metadata?.annotations?.[annotations.expiresAt];
  const at = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(at) ? undefined : at;
}

function podImages(pod: V1Pod): string[] {
  const spec = pod.spec;
  return [
    ...(spec?.initContainers ?? []),
    ...(spec?.containers ?? []),
    ...(spec?.ephemeralContainers ?? []),
  ].flatMap((container) => (container.image ? [container.image] : []));
}

function ownerHint(secret: V1Secret): string {
  const owner = secret.metadata?.annotations?.[annotations.owner];
  return owner ? ` (owned by ${owner})` : "";
}

/**
 * The registries credentials serve in `namespace` by name rather than by a provider's host
 * pattern (static credentials, mirror aliases), as registryOf gives them.
 */
function namedHostsIn(input: AuditInput, namespace: string): Set<string> {
  const serving = [
    ...input.registryCredentials.filter((rc) => rc.metadata.namespace === namespace),
    ...input.clusterRegistryCredentials.filter((crc) => {
      const ns = input.namespaces.find((n) => n.metadata?.name === namespace);
      return !!ns && isTargeted(crc.spec.namespaces, ns);
    }),
  ];
  const hosts = serving.flatMap((credential) =>
    (credential.spec.sources ?? []).flatMap((source) => [
      ...(bindSource(source)?.plannedLogins().hosts ?? []).filter((host) => !host.includes("<")),
      ...(source.aliases ?? []),
    ]),
  );
  return new Set(hosts.map(registryOf));
}

/**
 * Rule 1: images from a cloud registry, or from one a credential of the namespace serves by name
 * (static credentials, aliases), that no referenced pull Secret covers, or only expired ones do.
 */
function auditPods(input: AuditInput): Finding[] {
  const secrets = new Map(
    input.secrets.map((s) => [key(s.metadata?.namespace ?? "", s.metadata?.name ?? ""), s]),
  );
  const findings: Finding[] = [];
  for (const pod of input.pods) {
    const namespace = pod.metadata?.namespace ?? "";
    const object = `Pod/${pod.metadata?.name ?? ""}`;
    const refs = (pod.spec?.imagePullSecrets ?? []).flatMap((ref) => (ref.name ? [ref.name] : []));
    const referenced = refs.flatMap((name) => {
      const secret = secrets.get(key(namespace, name));
      return secret ? [secret] : [];
    });
    const missing = refs.filter((name) => !secrets.has(key(namespace, name)));
    const named = namedHostsIn(input, namespace);
    const hosts = [
      ...new Set(
        podImages(pod)
          .map(registryHostOf)
          .filter((host) => isProviderHost(host) || named.has(registryOf(host))),
      ),
    ].sort();
    for (const host of hosts) {
      const covering = referenced.filter((secret) =>
        secretRegistryKeys(secret).some((k) => authKeyCovers(k, host)),
      );
      if (covering.length === 0) {
        findings.push({
          rule: "uncovered-image",
          namespace,
          object,
          message: `images from ${host} but no pull Secret of the pod covers that host${
            missing.length ? ` (referenced Secrets not found: ${missing.join(", ")})` : ""
          }`,
          fix: `create a RegistryCredential in namespace ${namespace} with a source for ${host} and select the pod's ServiceAccount "${
            pod.spec?.serviceAccountName ?? "default"
          }" in spec.serviceAccounts (or add its Secret to the pod's imagePullSecrets), then recreate the pod`,
        });
        continue;
      }
      const live = covering.filter((secret) => {
        const expiry = managedExpiry(secret);
        return expiry === undefined || expiry > input.now.getTime();
      });
      if (live.length === 0) {
        const names = covering.map((s) => `${s.metadata?.name}${ownerHint(s)}`).join(", ");
        const at = covering.map((s) => s.metadata?.annotations?.[annotations.expiresAt]).join(", ");
        findings.push({
          rule: "expired-pull-secret",
          namespace,
          object,
          message: `pulls from ${host} with Secret ${names}, which expired at ${at}`,
          fix: `check the owning credential with "regcred status -n ${namespace}" (is the operator running, is the provider failing?); the operator renews the Secret once the credential is Ready again`,
        });
      }
    }
  }
  return findings;
}

/** The Secret name a credential writes. */
function secretNameOf(credential: RegistryCredential | ClusterRegistryCredential): string {
  return credential.status?.secretName ?? credential.spec.secret?.name ?? credential.metadata.name ?? "";
}

/** Rule 2: ServiceAccounts a credential selects that lack its Secret in imagePullSecrets. */
function auditServiceAccounts(input: AuditInput): Finding[] {
  const targets: {
    owner: string;
    namespace: string;
    secretName: string;
    credential: RegistryCredential | ClusterRegistryCredential;
  }[] = [];
  for (const rc of input.registryCredentials) {
    if (!rc.spec.serviceAccounts) continue;
    targets.push({
      owner: `RegistryCredential/${rc.metadata.namespace}/${rc.metadata.name}`,
      namespace: rc.metadata.namespace ?? "",
      secretName: secretNameOf(rc),
      credential: rc,
    });
  }
  for (const crc of input.clusterRegistryCredentials) {
    if (!crc.spec.serviceAccounts) continue;
    for (const ns of input.namespaces) {
      if (!isTargeted(crc.spec.namespaces, ns)) continue;
      targets.push({
        owner: `ClusterRegistryCredential/${crc.metadata.name}`,
        namespace: ns.metadata?.name ?? "",
        secretName: secretNameOf(crc),
        credential: crc,
      });
    }
  }
  const findings: Finding[] = [];
  for (const target of targets) {
    for (const account of input.serviceAccounts) {
      if (account.metadata?.namespace !== target.namespace) continue;
      if (!selectsServiceAccount(target.credential.spec.serviceAccounts, account)) continue;
      if (hasPullSecret(account, target.secretName)) continue;
      findings.push({
        rule: "service-account-missing-secret",
        namespace: target.namespace,
        object: `ServiceAccount/${account.metadata?.name ?? ""}`,
        message: `selected by ${target.owner} but imagePullSecrets lacks Secret "${target.secretName}"`,
        fix: `check "regcred status" for ${target.owner} (Ready? RBAC to patch ServiceAccounts?); or add it by hand: kubectl -n ${target.namespace} patch serviceaccount ${account.metadata?.name} --type json -p '[{"op":"add","path":"/imagePullSecrets/-","value":{"name":"${target.secretName}"}}]'`,
      });
    }
  }
  return findings;
}

/** Rule 3: managed Secrets that expired or expire within the threshold. */
function auditExpiringSecrets(input: AuditInput): Finding[] {
  const findings: Finding[] = [];
  const now = input.now.getTime();
  for (const secret of input.secrets) {
    const expiry = managedExpiry(secret);
    if (expiry === undefined || expiry - now > input.expiringWithinMs) continue;
    const at = secret.metadata?.annotations?.[annotations.expiresAt];
    const owner = secret.metadata?.annotations?.[annotations.owner] ?? "its credential";
    findings.push({
      rule: "secret-expiring",
      namespace: secret.metadata?.namespace ?? "",
      object: `Secret/${secret.metadata?.name ?? ""}`,
      message:
        expiry <= now
          ? `expired at ${at} (${formatDuration(now - expiry)} ago)`
          : `expires at ${at} (in ${formatDuration(expiry - now)}), within ${formatDuration(input.expiringWithinMs)}`,
      fix: `check ${owner} with "regcred status" (Ready condition, nextRefreshTime) and the operator's logs; a Ready credential renews its Secret before expiry`,
    });
  }
  return findings;
}

const causeText: Record<PullFailureCause, string> = {
  CredentialsRefused: "the registry refused the credentials",
  NotFound: "the repository or tag was not found",
  Unreachable: "the registry is unreachable (TLS or network)",
  Other: "the pull failed",
};

/** The longest excerpt of the kubelet's message a finding quotes. */
const quotedMessageLength = 240;

/** The wrappers the kubelet, the CRI client and containerd put around the registry's answer. */
const messageWrappers = [
  /^Back-off pulling image "[^"]*": ErrImagePull: /,
  /^rpc error: code = \w+ desc = /,
  /^failed to pull and unpack image "[^"]*": /,
  /^failed to resolve reference "[^"]*": /,
  /^failed to resolve image: /,
];

/** The kubelet's message on one line, redacted, without its wrappers; its end when still too long. */
function quoted(message: string): string {
  let line = redactSecrets(message.replace(/\s+/g, " ").trim());
  for (const wrapper of messageWrappers) line = line.replace(wrapper, "");
  return line.length <= quotedMessageLength ? line : `…${line.slice(line.length - quotedMessageLength + 1)}`;
}

/** The fix for a pull failure whose pod does send a login for the host, by cause and cloud. */
function pullFix(cause: PullFailureCause, host: string, message: string, namespace: string): string {
  const advice = pullFailureAdviceFor(host);
  switch (cause) {
    case "CredentialsRefused": {
      const ambiguous = /repository does not exist or may require authorization/i.test(message)
        ? "; this registry gives the same answer for a repository that does not exist, so check the image name too"
        : "";
      const fix =
        advice?.credentialsRefused(host) ??
        `${host} refused the login in the pod's pull Secret: check the robot account or access token the credential's referenced Secret holds (expired, revoked, or without pull permission on this repository) and update that Secret; the operator rewrites the pull Secret at once`;
      return `${fix}${ambiguous}; "regcred status -n ${namespace}" shows the credential's Verified condition and pull failures`;
    }
    case "NotFound":
      return (
        advice?.notFound(host) ??
        `check that the repository and tag (or digest) exist in ${host}; not a credential problem unless the registry hides repositories the login may not read`
      );
    case "Unreachable":
      return (
        advice?.unreachable(host) ??
        `nodes must reach ${host} over HTTPS: DNS, egress, proxy or firewall; a registry with a private CA must be trusted by the node's container runtime (containerd: /etc/containerd/certs.d/${host}/hosts.toml), a plain-http one configured there too. Credentials play no part`
      );
    case "Other":
      return `read the kubelet's message ("kubectl describe pod"): e.g. a registry rate limit (429 toomanyrequests: log in, or use a mirror), an image signature policy, or a full disk on the node`;
  }
}

/**
 * Rule 4: each container failing to pull (ErrImagePull, ImagePullBackOff), classified from the
 * kubelet's message, with the fix for its cause and cloud; or, when a managed Secret of the
 * namespace covers the host but the pod lacks it in imagePullSecrets, the fix for that.
 */
function auditPullFailures(input: AuditInput): Finding[] {
  const findings: Finding[] = [];
  for (const pod of input.pods) {
    const failures = pullFailuresOf(pod);
    if (failures.length === 0) continue;
    const namespace = pod.metadata?.namespace ?? "";
    const refs = new Set((pod.spec?.imagePullSecrets ?? []).flatMap((ref) => (ref.name ? [ref.name] : [])));
    const inNamespace = input.secrets.filter((s) => s.metadata?.namespace === namespace);
    for (const failure of failures) {
      const covers = (secret: V1Secret) =>
        secretRegistryKeys(secret).some((k) => authKeyCovers(k, failure.host));
      const sent = inNamespace.some((s) => refs.has(s.metadata?.name ?? "") && covers(s));
      // No registry answered an unreachable pull, so a missing Secret is not what stops it.
      const lacking =
        sent || failure.cause === "Unreachable" ? [] : inNamespace.filter((s) => isManaged(s) && covers(s));
      const problem = `${failure.container}: ${failure.state} for ${failure.image}: ${causeText[failure.cause]}`;
      const kubelet = failure.message ? ` (kubelet: "${quoted(failure.message)}")` : "";
      let message = `${problem}${kubelet}`;
      let fix = pullFix(failure.cause, failure.host, failure.message, namespace);
      if (lacking.length > 0) {
        const names = lacking.map((s) => `"${s.metadata?.name}"${ownerHint(s)}`).join(", ");
        const owners = [
          ...new Set(lacking.map((s) => s.metadata?.annotations?.[annotations.owner] ?? "its credential")),
        ].join(", ");
        message = `${problem}: managed Secret ${names} covers ${failure.host} but the pod's imagePullSecrets lacks it${kubelet}`;
        fix = `the pod was created before its ServiceAccount "${pod.spec?.serviceAccountName ?? "default"}" got the Secret (imagePullSecrets are copied only when a pod is created): recreate the pod (e.g. kubectl -n ${namespace} rollout restart its Deployment), or set spec.pullFailures.evictPodsMissingSecret: true on ${owners} so the operator evicts such pods and their controller recreates them`;
      } else if (!sent && failure.cause === "CredentialsRefused") {
        fix = `the pod sends no login for ${failure.host} (no pull Secret of the pod covers it): create a RegistryCredential in namespace ${namespace} with a source for ${failure.host} that selects the pod's ServiceAccount "${
          pod.spec?.serviceAccountName ?? "default"
        }" (spec.serviceAccounts), then recreate the pod; if the image is public, check its name`;
      }
      findings.push({
        rule: "image-pull-failing",
        namespace,
        object: `Pod/${pod.metadata?.name ?? ""}`,
        message,
        fix,
        cause: failure.cause,
      });
    }
  }
  return findings;
}

export function audit(input: AuditInput): Finding[] {
  return [
    ...auditPods(input),
    ...auditPullFailures(input),
    ...auditServiceAccounts(input),
    ...auditExpiringSecrets(input),
  ];
}
