// Builders for sync unit tests: credential resources, and fake ECR answers that remember what they issued.
import type {
  ClusterRegistryCredential,
  ClusterRegistryCredentialSpec,
  RegistryCredential,
  RegistryCredentialSpec,
  VerificationReason,
} from "../../../src/api/v1alpha1.js";
import type { RegistryProbe } from "../../../src/verify/registry-probe.js";
import { FakeClock } from "../../fakes/clock.js";
import { awsError, FakeAwsClients } from "../../fakes/ecr/fake-aws-clients.js";
import { recordIssued } from "../../support/leaks/ledger.js";

export function registryCredential(
  namespace: string,
  name: string,
  spec: Partial<RegistryCredentialSpec> = {},
): RegistryCredential {
  return {
    apiVersion: "regcred.dev/v1alpha1",
    kind: "RegistryCredential",
    metadata: { name, namespace },
    spec: { sources: [{ ecr: { region: "eu-west-1" } }], ...spec },
  };
}

export function clusterCredential(
  name: string,
  spec: Partial<ClusterRegistryCredentialSpec> = {},
): ClusterRegistryCredential {
  return {
    apiVersion: "regcred.dev/v1alpha1",
    kind: "ClusterRegistryCredential",
    metadata: { name },
    spec: {
      sources: [{ ecr: { region: "eu-west-1" } }],
      namespaces: { selector: { matchLabels: { team: "yes" } } },
      ...spec,
    },
  };
}

export const ecrHost = (region: string, account = "111122223333") =>
  `${account}.dkr.ecr.${region}.amazonaws.com`;

/**
 * Fake AWS clients whose ECR answers per region: a fresh password each call (recorded in `issued`),
 * valid for `lifetimeMs` from `now()`, or the error `failing(region)` names.
 */
export function fakeEcr(options: { now?: () => Date; lifetimeMs?: number } = {}) {
  const aws = new FakeAwsClients();
  const issued: string[] = [];
  const state = { failing: new Set<string>() };
  aws.ecrAnswer = (input, client) => {
    if (state.failing.has(client.region))
      throw awsError("ServiceUnavailableException", `ECR in ${client.region} is unavailable`, 503);
    const now = options.now?.() ?? new Date();
    return {
      $metadata: {},
      authorizationData: (input.registryIds ?? ["111122223333"]).map((account) => {
        const password = `ecr-password-${client.region}-${issued.length + 1}`;
        issued.push(password);
        recordIssued("an ECR password of the sync tests' fake ECR", password);
        return {
          authorizationToken: Buffer.from(`AWS:${password}`).toString("base64"),
          expiresAt: new Date(now.getTime() + (options.lifetimeMs ?? 12 * 3600_000)),
          proxyEndpoint: `https://${ecrHost(client.region, account)}`,
        };
      }),
    };
  };
  return {
    aws,
    issued,
    fail: (region: string) => state.failing.add(region),
    recover: (region: string) => state.failing.delete(region),
    get mints() {
      return aws.sentFor("GetAuthorizationToken").length;
    },
  };
}

/** The shared FakeClock as the sync tests read it: now() as a Date, moved by hand. */
export function manualClock(start = new Date()) {
  const clock = new FakeClock(start.getTime());
  return { now: () => clock.date(), advance: (ms: number) => clock.skip(ms) };
}

/**
 * A registry check for the process's LoginVerifier: every login is Authenticated unless `verdict`
 * (replaceable) says otherwise. Records each host (and canary image) it is asked about, never a password.
 */
export function fakeRegistry() {
  const registry = {
    asked: [] as string[],
    verdict: (_request: { host: string; password: string; image?: string }): VerificationReason =>
      "Authenticated",
    probe: async (request: Parameters<RegistryProbe>[0]) => {
      registry.asked.push(request.image ? `${request.host} ${request.image}` : request.host);
      const reason = registry.verdict(request);
      return { reason, message: `GET https://${request.host}/v2/ answered ${reason}` };
    },
  };
  return registry;
}
