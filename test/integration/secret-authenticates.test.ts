// End to end: the dockerconfigjson Secret the operator writes from a fake ECR token authenticates
// against a real registry (CNCF distribution 3, htpasswd) that trusts what the fake ECR issued,
// and the same Secret with one character changed does not. Needs the registry and crane that
// npm test builds from the Go module proxy; fails, never skips, without them.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { FakeEcrServer } from "../fakes/ecr/fake-ecr-server.js";
import {
  awsKeysSecret,
  dockerConfigOf,
  ecrWithStaticKeys,
  fakeAccessKey,
  RegistryCredentials,
  readSecret,
  registryCredential,
} from "../support/fixtures.js";
import { adminKubeConfig, createNamespace } from "../support/kube.js";
import { craneDigest, type Registry, startRegistry } from "../support/registry.js";
import { startTestOperator, type TestOperator } from "../support/test-operator.js";

const timeout = 120_000;
const ecrHost = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";

type DockerConfig = ReturnType<typeof dockerConfigOf>;
type AuthEntry = DockerConfig["auths"][string];

interface World {
  ecr: FakeEcrServer;
  operator: TestOperator;
  registry: Registry;
  /** The decoded .dockerconfigjson of the Secret the operator wrote. */
  config: DockerConfig;
}

let w: World;

/**
 * A namespace with the fake ECR's static keys, an operator watching it, a Ready RegistryCredential
 * "pull" with its Secret, and a registry whose only user is "AWS" with the password the fake ECR
 * issued. The registry's password comes from the fake ECR, not from the Secret under test.
 */
async function world(): Promise<World> {
  const kc = adminKubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const namespace = await createNamespace(core, "authenticates");
  const ecr = await new FakeEcrServer("eu-west-1").start();
  ecr.registerCredentials(fakeAccessKey);
  await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys") });
  const operator = await startTestOperator({
    kc,
    aws: { ecrEndpoint: ecr.endpoint },
    config: { watchNamespace: namespace },
  });
  const partial = { ecr, operator };
  try {
    const credentials = new RegistryCredentials(kc, namespace);
    await credentials.create(registryCredential("pull", { sources: [ecrWithStaticKeys("aws-keys")] }));
    await credentials.waitForReady("pull");
    const config = dockerConfigOf((await readSecret(core, namespace, "pull")) as k8s.V1Secret);
    const registry = await startRegistry({ username: "AWS", password: issuedPassword(ecr) });
    return { ...partial, registry, config };
  } catch (error) {
    await close(partial);
    throw error;
  }
}

async function close(parts: Omit<World, "registry" | "config"> & { registry?: Registry }): Promise<void> {
  await parts.registry?.stop();
  await parts.operator.stop();
  await parts.ecr.close();
}

/** The one password the fake ECR issued. */
function issuedPassword(ecr: FakeEcrServer): string {
  if (ecr.issuedPasswords.length !== 1)
    throw new Error(`expected one issued ECR password, found ${ecr.issuedPasswords.length}`);
  return ecr.issuedPasswords[0] as string;
}

/** Replaces the middle character with another one of the same alphabet (base64 / base64url). */
function oneCharChanged(value: string): string {
  const i = Math.floor(value.length / 2);
  return `${value.slice(0, i)}${value[i] === "A" ? "B" : "A"}${value.slice(i + 1)}`;
}

/** The Secret's config with `auths` replaced, as a docker config.json's text. */
function dockerConfig(auths: Record<string, AuthEntry>): string {
  return JSON.stringify({ ...w.config, auths });
}

beforeAll(async () => {
  w = await world();
}, timeout);

afterAll(async () => {
  // w is unset when world() failed, which cleans up after itself.
  if (w) await close(w);
}, timeout);

describe("the dockerconfigjson Secret written for an ECR source, used against a real registry", () => {
  it("holds exactly one entry, for the ECR registry host", () => {
    expect(Object.keys(w.config.auths)).toEqual([ecrHost]);
  });

  // Each docker config is the Secret's .dockerconfigjson with its single entry re-keyed from the ECR
  // host to the local registry's 127.0.0.1:PORT: the local registry cannot answer at the ECR
  // hostname. The entry itself (username, password, auth) stays byte-for-byte the operator's,
  // except where a case changes it on purpose. crane authenticates with the entry's `auth`.
  it.each([
    {
      name: "authenticates with the operator's entry",
      auths: (host: string, entry: AuthEntry) => ({ [host]: entry }),
      accepted: true,
    },
    {
      name: "is refused with one character of the entry's auth and password changed",
      auths: (host: string, entry: AuthEntry) => ({
        // The middle of `auth` decodes into the password, so the username stays "AWS".
        [host]: {
          ...entry,
          auth: oneCharChanged(entry.auth),
          password: oneCharChanged(entry.password),
        },
      }),
      accepted: false,
    },
    {
      name: "is refused without an entry for the registry host (the registry demands credentials)",
      auths: () => ({}),
      accepted: false,
    },
  ])(
    "crane digest $name",
    async ({ auths, accepted }) => {
      const entry = w.config.auths[ecrHost] as AuthEntry;
      const result = await craneDigest(
        w.registry.host,
        w.registry.image,
        dockerConfig(auths(w.registry.host, entry)),
      );
      if (accepted) {
        expect(result).toEqual({ ok: true, output: `${w.registry.digest}\n` });
      } else {
        expect(result.ok).toBe(false);
        expect(result.output).toMatch(/unauthorized|authentication required/i);
      }
    },
    timeout,
  );
});
