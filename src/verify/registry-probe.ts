// Asks a registry whether a credential works, the way docker and containerd ask: GET /v2/ with the
// credential, a Bearer challenge followed to its token service and, for a canary image, a HEAD of
// its manifest, which proves pull permission. Bounded in time and size, https unless a host is
// listed as insecure, and never towards a non-public address the operator has not allowed.

import type { VerificationReason } from "../api/v1alpha1.js";
import { createAddressPolicy, type ResolveAll } from "../util/address-policy.js";
import { type BearerChallenge, parseBearerChallenge } from "../util/bearer-challenge.js";
import {
  type BoundedHttp,
  type BoundedResponse,
  createBoundedHttp,
  NotSentError,
} from "../util/bounded-http.js";
import { answered, requestLine } from "./answer-text.js";
import { type CanaryImage, parseCanaryImage } from "./canary-image.js";

/** @internal exported for its tests */
export interface ProbeRequest {
  /**
   * Registry host as written in the dockerconfigjson auths key, e.g.
   * "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "contoso.azurecr.io", "registry.example.com:5000",
   * "[2001:db8::1]:5000".
   */
  host: string;
  username: string;
  password: string;
  /** Optional canary: "repository[:tag|@digest]" without the host; the tag defaults to "latest". */
  image?: string;
  signal?: AbortSignal;
}

/** @internal exported for its tests */
export interface ProbeOutcome {
  reason: VerificationReason;
  /**
   * One line saying what was asked and what answered, e.g. `GET https://h/v2/ answered 401
   * UNAUTHORIZED`; never a credential, token, header or body beyond a registry's short error code.
   */
  message: string;
}

/**
 * Never rejects: every failure is an outcome (network, TLS, deadline, size, abort, an unexpected
 * status → Unreachable; a policy refusal or malformed input → Skipped).
 */
export type RegistryProbe = (request: ProbeRequest) => Promise<ProbeOutcome>;

export interface RegistryProbeOptions {
  /**
   * Where a registry host is reached: default `https://<host>`, or `http://<host>` for a host in
   * insecureHosts. Requests then go to that origin as a URL would send them: its Host header, its
   * TLS server name and certificate check. The scheme and address policies apply to the origin.
   */
  originOf?: (host: string) => string;
  /**
   * Hosts (host[:port], exact match after URL normalisation) that may be reached over plain http:
   * an origin or token realm over http on any other host is Skipped.
   */
  insecureHosts?: readonly string[];
  /**
   * Non-public networks (CIDRs or single addresses, IPv4 or IPv6) that may be probed; default none.
   * A host that is or resolves to any other non-public address is Skipped; the connection goes to
   * an address that was checked. Through a proxy (HTTPS_PROXY, not NO_PROXY) the proxy resolves the
   * name again, so the check is made on this process's own resolution (best effort), and a name
   * that does not resolve here is Unreachable.
   */
  allowedNetworks?: readonly string[];
  /** Resolves a host name to all its addresses; default node:dns lookup with all: true. */
  lookup?: ResolveAll;
  /** PEM trusted beside Node's roots; without it Node's default store (with NODE_EXTRA_CA_CERTS). */
  ca?: string;
  /** Deadline for each whole HTTP exchange, resolution included; default 10 s. */
  timeoutMs?: number;
  /** Largest answer body read; default 64 KiB. A larger one is Unreachable. */
  maxBodyBytes?: number;
  /** Where HTTPS_PROXY, HTTP_PROXY and NO_PROXY are read, once; default process.env. */
  environment?: NodeJS.ProcessEnv;
}

/** The operator flags that messages point at. */
const insecureHostsFlag = "--verify-insecure-registries";
const allowedNetworksFlag = "--verify-allowed-networks";

/** What a puller accepts for a manifest: OCI index and manifest, Docker manifest list and v2. */
const manifestTypes = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** host[:port] as a URL writes it (lower case, default port dropped), or undefined for anything else. */
function hostKey(host: string): string | undefined {
  if (!/^[^\s/?#@\\]+$/.test(host)) return undefined;
  try {
    return new URL(`http://${host}`).host;
  } catch {
    return undefined;
  }
}

const succeeded = (response: BoundedResponse) => response.status >= 200 && response.status < 300;

/** A refusing answer as an outcome: 401 → Unauthorized, 403 → Forbidden, anything else → Unreachable. */
function refusal(request: string, response: BoundedResponse, note = ""): ProbeOutcome {
  const reason =
    response.status === 401 ? "Unauthorized" : response.status === 403 ? "Forbidden" : "Unreachable";
  return { reason, message: `${answered(request, response)}${note}` };
}

/** `token`, else `access_token`, of a token service's JSON answer. */
function tokenOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { token?: unknown; access_token?: unknown } | null;
    const token = parsed?.token ?? parsed?.access_token;
    return typeof token === "string" && token !== "" ? token : undefined;
  } catch {
    return undefined;
  }
}

/** One probe's calls: the client, the Basic credential, and every secret its messages must not show. */
interface Session {
  http: BoundedHttp;
  basic: string;
  signal: AbortSignal | undefined;
  secrets: string[];
}

type Step<T> = { value: T } | { outcome: ProbeOutcome };

/**
 * A Bearer token from the challenge's realm, asked with the Basic credential (as containerd asks
 * for a user name and password) for `scope`, if any. The realm passes the client's scheme and
 * address policies like any URL.
 */
async function bearerToken(
  session: Session,
  challenge: BearerChallenge,
  scope: string | undefined,
  challenged: string,
): Promise<Step<{ authorization: string; note: string }>> {
  let realm: URL;
  try {
    realm = new URL(challenge.realm);
  } catch {
    return {
      outcome: {
        reason: "Unreachable",
        message: `${challenged} answered 401 with a Bearer challenge whose realm is not a URL`,
      },
    };
  }
  const query: [string, string][] = [];
  if (challenge.service !== undefined) query.push(["service", challenge.service]);
  if (scope !== undefined) query.push(["scope", scope]);
  for (const [name, value] of query) realm.searchParams.set(name, value);
  const shown = `${requestLine("GET", realm)}${query.length ? `?${query.map((pair) => pair.join("=")).join("&")}` : ""}`;
  const answer = await session.http({
    method: "GET",
    url: realm,
    headers: { authorization: session.basic },
    signal: session.signal,
  });
  if (!succeeded(answer))
    return { outcome: refusal(shown, answer, ` (the token service ${challenged} named)`) };
  const token = tokenOf(answer.body);
  if (token === undefined)
    return {
      outcome: { reason: "Unreachable", message: `${shown} answered ${answer.status} without a token` },
    };
  session.secrets.push(token);
  return {
    value: { authorization: `Bearer ${token}`, note: ` with a token from ${realm.origin}${realm.pathname}` },
  };
}

/** HEAD of the canary's manifest, once /v2/ accepted `authorization`. */
async function headCanary(
  session: Session,
  origin: URL,
  image: CanaryImage,
  accepted: { authorization: string; note: string; bearer: boolean },
): Promise<ProbeOutcome> {
  const url = new URL(`/v2/${image.repository}/manifests/${image.reference}`, origin);
  const asked = requestLine("HEAD", url);
  const head = (authorization: string) =>
    session.http({
      method: "HEAD",
      url,
      headers: { authorization, accept: manifestTypes },
      signal: session.signal,
    });
  let { note } = accepted;
  let answer = await head(accepted.authorization);
  // A registry that took Basic on /v2/ may still want a token for a repository.
  const challenge =
    answer.status === 401 && !accepted.bearer
      ? parseBearerChallenge(answer.headers["www-authenticate"])
      : undefined;
  if (challenge) {
    const token = await bearerToken(session, challenge, `repository:${image.repository}:pull`, asked);
    if ("outcome" in token) return token.outcome;
    note = token.value.note;
    answer = await head(token.value.authorization);
  }
  const said = `${answered(asked, answer)}${note}`;
  if (succeeded(answer)) return { reason: "Authenticated", message: said };
  if (answer.status === 401 || answer.status === 403)
    return { reason: "Forbidden", message: `${said} (after /v2/ accepted the credential)` };
  if (answer.status === 404)
    return { reason: "NotFound", message: `${said} (no such repository, tag or digest)` };
  return { reason: "Unreachable", message: said };
}

async function probe(session: Session, origin: URL, image: CanaryImage | undefined): Promise<ProbeOutcome> {
  const url = new URL("/v2/", origin);
  const asked = requestLine("GET", url);
  const get = (authorization: string) =>
    session.http({ method: "GET", url, headers: { authorization }, signal: session.signal });
  let accepted = { authorization: session.basic, note: "", bearer: false };
  let answer = await get(session.basic);
  const challenge =
    answer.status === 401 ? parseBearerChallenge(answer.headers["www-authenticate"]) : undefined;
  if (challenge) {
    const scope = image ? `repository:${image.repository}:pull` : undefined;
    const token = await bearerToken(session, challenge, scope, asked);
    if ("outcome" in token) return token.outcome;
    accepted = { ...token.value, bearer: true };
    answer = await get(accepted.authorization);
  }
  if (!succeeded(answer)) return refusal(asked, answer, accepted.note);
  if (!image) return { reason: "Authenticated", message: `${answered(asked, answer)}${accepted.note}` };
  return headCanary(session, origin, image, accepted);
}

/** A request that failed or was refused before an answer, as an outcome. */
function failure(error: unknown): ProbeOutcome {
  if (error instanceof NotSentError)
    return {
      reason: "Skipped",
      message:
        error.refusal.kind === "scheme"
          ? `${error.where} was not sent: only https is allowed (plain http only to the hosts in ${insecureHostsFlag})`
          : `${error.where} was not sent: ${error.detail}; the operator probes non-public addresses only in the networks of ${allowedNetworksFlag}`,
    };
  const own = (error as { message?: unknown } | null)?.message;
  const text = typeof own === "string" ? own : String(error);
  return { reason: "Unreachable", message: text.split("\n")[0] ?? "" };
}

/** `message` with every occurrence of a secret (as is, and URL-encoded) replaced. */
function scrub(message: string, secrets: readonly string[]): string {
  let text = message;
  for (const secret of secrets)
    for (const form of new Set([secret, encodeURIComponent(secret)]))
      if (form.length >= 4) text = text.split(form).join("[REDACTED]");
  return text;
}

/**
 * A probe with these policies and limits. Throws when an insecure host or an allowed network is
 * malformed (operator configuration, checked once).
 */
export function createRegistryProbe(options: RegistryProbeOptions = {}): RegistryProbe {
  const insecure = new Set(
    (options.insecureHosts ?? []).map((entry) => {
      const key = hostKey(entry.trim());
      if (key === undefined)
        throw new Error(`insecure registry ${JSON.stringify(entry)} is not a host[:port]`);
      return key;
    }),
  );
  const http = createBoundedHttp({
    timeoutMs: options.timeoutMs ?? 10_000,
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,
    plainHttpAllowed: (url) => insecure.has(url.host),
    addressPolicy: createAddressPolicy({
      ...(options.allowedNetworks ? { allowedNetworks: options.allowedNetworks } : {}),
      ...(options.lookup ? { resolve: options.lookup } : {}),
    }),
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.environment ? { environment: options.environment } : {}),
  });
  const originOf =
    options.originOf ??
    ((host: string) => `${insecure.has(hostKey(host) ?? "") ? "http" : "https"}://${host}`);

  return async (request) => {
    const basic = Buffer.from(`${request.username}:${request.password}`).toString("base64");
    const session: Session = {
      http,
      basic: `Basic ${basic}`,
      signal: request.signal,
      secrets: [request.password, basic],
    };
    let outcome: ProbeOutcome;
    try {
      outcome = await start(session, request, originOf);
    } catch (error) {
      outcome = failure(error);
    }
    return { reason: outcome.reason, message: scrub(outcome.message, session.secrets) };
  };
}

/** Checks the request's host, origin and canary, then probes. */
async function start(
  session: Session,
  request: ProbeRequest,
  originOf: (host: string) => string,
): Promise<ProbeOutcome> {
  const shownHost = JSON.stringify(request.host.slice(0, 300));
  if (hostKey(request.host) === undefined)
    return { reason: "Skipped", message: `registry host ${shownHost} is not a host[:port]` };
  let origin: URL;
  try {
    origin = new URL(originOf(request.host));
  } catch {
    return { reason: "Skipped", message: `registry host ${shownHost} has no origin that is a URL` };
  }
  let image: CanaryImage | undefined;
  if (request.image !== undefined) {
    const parsed = parseCanaryImage(request.image, request.host);
    if ("problem" in parsed) return { reason: "Skipped", message: parsed.problem };
    image = parsed;
  }
  return probe(session, origin, image);
}
