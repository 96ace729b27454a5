// The rotate-now trigger against the real control plane: the regcred.dev/rotate annotation makes
// exactly one fresh mint and rewrite (a restarted operator does not rotate again), and
// `regcred rotate` sets it and waits for it, for a RegistryCredential and a ClusterRegistryCredential.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { group, registryCredentialNames, version } from "../../src/api/v1alpha1.js";
import { run } from "../../src/cli/run.js";
import { FakeEcrServer } from "../fakes/ecr/fake-ecr-server.js";
import {
  awsKeysSecret,
  ClusterRegistryCredentials,
  clusterRegistryCredential,
  dockerConfigOf,
  ecrWithStaticKeys,
  RegistryCredentials,
  readSecret,
  registryCredential,
} from "../support/fixtures.js";
import { adminKubeConfig, createNamespace, uniqueName } from "../support/kube.js";
import { recordShown } from "../support/leaks/ledger.js";
import { startTestOperator, type TestOperator } from "../support/test-operator.js";
import { waitFor } from "../support/wait.js";

const timeout = 180_000;
const operatorNamespace = "regcred-system";
const ecrHost = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const refresh = { minInterval: "2h", maxInterval: "6h" };

let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let ecr: FakeEcrServer;
let operator: TestOperator;

function freshKeys() {
  const id = `AKIAROT${randomBytes(6).toString("hex").toUpperCase()}`;
  const keys = { accessKeyId: id, secretAccessKey: `rotate-secret/${randomBytes(12).toString("hex")}` };
  ecr.registerCredentials(keys);
  return keys;
}

const mintsWith = (keys: { accessKeyId: string }) =>
  ecr.accessKeyIds.filter((id) => id === keys.accessKeyId).length;

async function passwordIn(namespace: string, name: string): Promise<string | undefined> {
  const secret = await readSecret(core, namespace, name);
  return secret ? dockerConfigOf(secret).auths[ecrHost]?.password : undefined;
}

async function cli(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await run(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    kubeConfig: kc,
  });
  recordShown("cli-output", `${stdout}\n${stderr}`);
  return { code, stdout, stderr };
}

/** A Ready RegistryCredential with keys of its own, minted once. */
async function readyCredential() {
  const keys = freshKeys();
  const namespace = await createNamespace(core, "rotate");
  await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys", keys) });
  const credentials = new RegistryCredentials(kc, namespace);
  await credentials.create(registryCredential("pull", { sources: [ecrWithStaticKeys("aws-keys")], refresh }));
  await credentials.waitForReady("pull");
  return { keys, namespace, credentials };
}

beforeAll(async () => {
  kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  ecr = await new FakeEcrServer("eu-west-1").start();
  operator = await startTestOperator({
    kc,
    aws: { ecrEndpoint: ecr.endpoint },
    config: { operatorNamespace },
  });
}, timeout);

afterAll(async () => {
  await operator?.stop();
  await ecr?.close();
});

describe("the regcred.dev/rotate annotation", () => {
  it(
    "makes exactly one fresh mint and rewrite, which a restarted operator does not repeat",
    async () => {
      const { keys, namespace, credentials } = await readyCredential();
      const before = await passwordIn(namespace, "pull");
      expect(mintsWith(keys)).toBe(1);
      await kc.makeApiClient(k8s.CustomObjectsApi).patchNamespacedCustomObject(
        {
          group,
          version,
          plural: registryCredentialNames.plural,
          namespace,
          name: "pull",
          body: { metadata: { annotations: { "regcred.dev/rotate": "first" } } },
        },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
      );
      const rotated = await credentials.waitForReady(
        "pull",
        (ready, rc) => ready.status === "True" && rc.status?.lastRotation?.value === "first",
      );
      expect(mintsWith(keys)).toBe(2);
      const after = await passwordIn(namespace, "pull");
      expect(after).not.toBe(before);
      const events = await core.listNamespacedEvent({ namespace, fieldSelector: "reason=Rotated" });
      expect(events.items.map((e) => e.involvedObject.name)).toEqual(["pull"]);

      // A new operator process (empty cache) sees the handled value: no rotation, no mint.
      await operator.stop();
      operator = await startTestOperator({
        kc,
        aws: { ecrEndpoint: ecr.endpoint },
        config: { operatorNamespace },
      });
      await waitFor("the restarted operator to settle", async () => {
        await operator.idle();
        return true;
      });
      expect(mintsWith(keys)).toBe(2);
      expect(await passwordIn(namespace, "pull")).toBe(after);
      expect((await credentials.get("pull"))?.status?.lastRotation).toEqual(rotated.status?.lastRotation);
    },
    timeout,
  );
});

describe("regcred rotate", () => {
  it(
    "rotates a RegistryCredential and waits until the operator reports it done",
    async () => {
      const { keys, namespace } = await readyCredential();
      const before = await passwordIn(namespace, "pull");
      const result = await cli(["rotate", "pull", "-n", namespace, "--wait", "--timeout", "30s"]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`rotation requested for RegistryCredential ${namespace}/pull`);
      expect(result.stdout).toMatch(/rotated at \d{4}-/);
      expect(mintsWith(keys)).toBe(2);
      expect(await passwordIn(namespace, "pull")).not.toBe(before);
    },
    timeout,
  );

  it(
    "rotates a ClusterRegistryCredential: every namespace is rewritten from one fresh mint",
    async () => {
      const keys = freshKeys();
      const keysName = uniqueName("rotate-keys");
      await core.createNamespacedSecret({
        namespace: operatorNamespace,
        body: awsKeysSecret(keysName, keys),
      });
      const team = uniqueName("team");
      const namespaces = await Promise.all([1, 2, 3].map(() => createNamespace(core, "rot", { team })));
      const credentials = new ClusterRegistryCredentials(kc);
      const name = uniqueName("rotate-crc");
      await credentials.create(
        clusterRegistryCredential(name, {
          sources: [ecrWithStaticKeys(keysName)],
          namespaces: { selector: { matchLabels: { team } } },
          refresh,
        }),
      );
      try {
        await credentials.waitFor(name, (crc) => crc.status?.namespaces?.inSync === 3);
        const [before] = await Promise.all(namespaces.map((ns) => passwordIn(ns, name)));
        const result = await cli(["rotate", "--cluster", name, "--wait"]);
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
        await credentials.waitFor(name, (crc) => crc.status?.namespaces?.inSync === 3);
        const after = await Promise.all(namespaces.map((ns) => passwordIn(ns, name)));
        expect(new Set(after).size).toBe(1);
        expect(after[0]).not.toBe(before);
        expect(mintsWith(keys)).toBe(2);
      } finally {
        await credentials.delete(name);
      }
    },
    timeout,
  );

  it.each<[string, string[], RegExp]>([
    ["no name", ["rotate"], /name the RegistryCredential/],
    ["a name and --cluster", ["rotate", "pull", "--cluster", "platform"], /not both/],
    ["--timeout without --wait", ["rotate", "pull", "--timeout", "5s"], /--timeout needs --wait/],
    ["a malformed timeout", ["rotate", "pull", "--wait", "--timeout", "soon"], /invalid duration/],
  ])("refuses %s as a usage error", async (_name, argv, message) => {
    const result = await cli(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it("says what is missing when the resource does not exist", async () => {
    const namespace = await createNamespace(core, "rotate-none");
    const result = await cli(["rotate", "absent", "-n", namespace]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not found/);
  });
});
