// A rotated key acts within seconds, against the real control plane: with refresh.minInterval 2h
// (so no scheduled refresh can explain it), replacing the AWS keys in the Secret a source reads
// mints with the new keys and rewrites the Secret in every namespace of a ClusterRegistryCredential,
// and of a RegistryCredential; editing a static credential's Secret reaches every namespace without
// a cloud mint; Secrets no source reads change as they like and cost no mint.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
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
import { recordIssued } from "../support/leaks/ledger.js";
import { startTestOperator, type TestOperator } from "../support/test-operator.js";
import { waitFor } from "../support/wait.js";

const timeout = 180_000;
const operatorNamespace = "regcred-system";
const ecrHost = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const refresh = { minInterval: "2h", maxInterval: "6h" };
/** How long a change of a referenced Secret may take to reach every Secret written. */
const deadlineMs = 20_000;

let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let ecr: FakeEcrServer;
let operator: TestOperator;

/** AWS keys no other test file uses, registered with the fake ECR. */
function freshKeys() {
  const id = `AKIAREF${randomBytes(6).toString("hex").toUpperCase()}`;
  const keys = { accessKeyId: id, secretAccessKey: `ref-watch-secret/${randomBytes(12).toString("hex")}` };
  ecr.registerCredentials(keys);
  return keys;
}

/** Mints made with these keys. */
const mintsWith = (keys: { accessKeyId: string }) =>
  ecr.accessKeyIds.filter((id) => id === keys.accessKeyId).length;

/** Replaces the keys in an existing Secret, as a person rotating them would. */
async function rotateKeys(namespace: string, name: string, keys: ReturnType<typeof freshKeys>) {
  await core.replaceNamespacedSecret({ namespace, name, body: { ...awsKeysSecret(name, keys), data: {} } });
}

async function passwordIn(namespace: string, name: string): Promise<string | undefined> {
  const secret = await readSecret(core, namespace, name);
  return secret ? dockerConfigOf(secret).auths[ecrHost]?.password : undefined;
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

describe("a change of a referenced Secret", () => {
  it(
    "rewrites a ClusterRegistryCredential's Secret in every namespace with a fresh mint of the new keys",
    async () => {
      const [first, second] = [freshKeys(), freshKeys()];
      const keysName = uniqueName("ref-keys");
      await core.createNamespacedSecret({
        namespace: operatorNamespace,
        body: awsKeysSecret(keysName, first),
      });
      const team = uniqueName("team");
      const namespaces = await Promise.all([1, 2, 3].map(() => createNamespace(core, "ref", { team })));
      const credentials = new ClusterRegistryCredentials(kc);
      const name = uniqueName("ref-crc");
      await credentials.create(
        clusterRegistryCredential(name, {
          sources: [ecrWithStaticKeys(keysName)],
          namespaces: { selector: { matchLabels: { team } } },
          refresh,
        }),
      );
      try {
        await credentials.waitFor(name, (crc) => crc.status?.namespaces?.inSync === 3);
        const before = await Promise.all(namespaces.map((ns) => passwordIn(ns, name)));
        expect(new Set(before).size).toBe(1);
        expect(mintsWith(first)).toBe(1);

        await rotateKeys(operatorNamespace, keysName, second);
        await waitFor(
          "every namespace to hold a login minted with the new keys",
          async () => {
            const now = await Promise.all(namespaces.map((ns) => passwordIn(ns, name)));
            return mintsWith(second) === 1 && now.every((p) => p !== undefined && p !== before[0]);
          },
          { timeoutMs: deadlineMs },
        );
        const after = await Promise.all(namespaces.map((ns) => passwordIn(ns, name)));
        expect(new Set(after).size).toBe(1);
        expect(mintsWith(first)).toBe(1);
      } finally {
        await credentials.delete(name);
      }
    },
    timeout,
  );

  it(
    "rewrites a RegistryCredential's Secret with a fresh mint of the new keys",
    async () => {
      const [first, second] = [freshKeys(), freshKeys()];
      const namespace = await createNamespace(core, "ref-rc");
      await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys", first) });
      const credentials = new RegistryCredentials(kc, namespace);
      await credentials.create(
        registryCredential("pull", { sources: [ecrWithStaticKeys("aws-keys")], refresh }),
      );
      await credentials.waitForReady("pull");
      const before = await passwordIn(namespace, "pull");

      await rotateKeys(namespace, "aws-keys", second);
      await waitFor(
        "the Secret to hold a login minted with the new keys",
        async () => mintsWith(second) === 1 && (await passwordIn(namespace, "pull")) !== before,
        { timeoutMs: deadlineMs },
      );
      expect(mintsWith(first)).toBe(1);
    },
    timeout,
  );

  it(
    "mints again once a deleted keys Secret is created anew",
    async () => {
      const [first, second] = [freshKeys(), freshKeys()];
      const namespace = await createNamespace(core, "ref-gone");
      await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys", first) });
      const credentials = new RegistryCredentials(kc, namespace);
      await credentials.create(
        registryCredential("pull", { sources: [ecrWithStaticKeys("aws-keys")], refresh }),
      );
      await credentials.waitForReady("pull");

      await core.deleteNamespacedSecret({ namespace, name: "aws-keys" });
      await credentials.waitForReady("pull", (ready) => ready.reason === "AuthSecretMissing", deadlineMs);
      await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys", second) });
      await credentials.waitForReady("pull", (ready) => ready.status === "True", deadlineMs);
      expect(mintsWith(second)).toBe(1);
    },
    timeout,
  );
});

describe("a change of a static credential's Secret", () => {
  it(
    "reaches every namespace of a ClusterRegistryCredential within seconds, without minting the cloud source again",
    async () => {
      const keys = freshKeys();
      const keysName = uniqueName("ref-keys");
      const hubName = uniqueName("ref-hub");
      await core.createNamespacedSecret({
        namespace: operatorNamespace,
        body: awsKeysSecret(keysName, keys),
      });
      const hub = (password: string): k8s.V1Secret => ({
        metadata: { name: hubName },
        stringData: { username: "platform-bot", password },
      });
      const [oldToken, newToken] = [
        `dckr_pat_${randomBytes(12).toString("hex")}`,
        `dckr_pat_${randomBytes(12).toString("hex")}`,
      ];
      recordIssued("a static Docker Hub token of the referenced-secrets test", oldToken);
      recordIssued("a static Docker Hub token of the referenced-secrets test", newToken);
      await core.createNamespacedSecret({ namespace: operatorNamespace, body: hub(oldToken) });
      const team = uniqueName("team");
      const namespaces = await Promise.all([1, 2].map(() => createNamespace(core, "ref-static", { team })));
      const credentials = new ClusterRegistryCredentials(kc);
      const name = uniqueName("ref-static");
      await credentials.create(
        clusterRegistryCredential(name, {
          sources: [
            ecrWithStaticKeys(keysName),
            { basic: { registries: ["docker.io"], secretRef: { name: hubName } } },
          ],
          namespaces: { selector: { matchLabels: { team } } },
          refresh,
        }),
      );
      const hubPasswords = () =>
        Promise.all(
          namespaces.map(async (ns) => {
            const secret = await readSecret(core, ns, name);
            return secret ? dockerConfigOf(secret).auths["docker.io"]?.password : undefined;
          }),
        );
      try {
        await credentials.waitFor(name, (crc) => crc.status?.namespaces?.inSync === 2);
        expect(await hubPasswords()).toEqual([oldToken, oldToken]);

        await core.replaceNamespacedSecret({
          namespace: operatorNamespace,
          name: hubName,
          body: hub(newToken),
        });
        await waitFor(
          "every namespace to hold the new Docker Hub token",
          async () => (await hubPasswords()).every((password) => password === newToken),
          { timeoutMs: deadlineMs },
        );
        expect(mintsWith(keys)).toBe(1);
      } finally {
        await credentials.delete(name);
      }
    },
    timeout,
  );
});

describe("in single-namespace mode", () => {
  it(
    "watches a namespace that held no Secret when the operator started",
    async () => {
      const [first, second] = [freshKeys(), freshKeys()];
      const namespace = await createNamespace(core, "ref-single");
      // An empty namespace: the apiserver lists its Secrets' metadata with items: null.
      const single = await startTestOperator({
        kc,
        aws: { ecrEndpoint: ecr.endpoint },
        config: { operatorNamespace, watchNamespace: namespace },
      });
      try {
        await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys", first) });
        const credentials = new RegistryCredentials(kc, namespace);
        await credentials.create(
          registryCredential("pull", { sources: [ecrWithStaticKeys("aws-keys")], refresh }),
        );
        await credentials.waitForReady("pull");
        const changes = await single.metric("regcred_referenced_secret_changes_total");
        await rotateKeys(namespace, "aws-keys", second);
        // The file's cluster-wide operator serves this namespace too; this one's own count says it saw the change.
        await waitFor(
          "this operator to act on the change",
          async () =>
            (await single.metric("regcred_referenced_secret_changes_total")) > changes &&
            mintsWith(second) >= 1,
          { timeoutMs: deadlineMs },
        );
      } finally {
        await single.stop();
      }
    },
    timeout,
  );
});

describe("a change of a Secret no source reads", () => {
  it(
    "causes no mint: 20 Secrets created and updated beside the referenced one cost nothing",
    async () => {
      const [first, second] = [freshKeys(), freshKeys()];
      const namespace = await createNamespace(core, "ref-quiet");
      await core.createNamespacedSecret({ namespace, body: awsKeysSecret("aws-keys", first) });
      const credentials = new RegistryCredentials(kc, namespace);
      await credentials.create(
        registryCredential("pull", { sources: [ecrWithStaticKeys("aws-keys")], refresh }),
      );
      await credentials.waitForReady("pull");
      const changes = await operator.metric("regcred_referenced_secret_changes_total");

      for (let i = 0; i < 20; i++) {
        const body = awsKeysSecret(`unrelated-${i}`, second);
        await core.createNamespacedSecret({ namespace, body });
        await core.replaceNamespacedSecret({ namespace, name: `unrelated-${i}`, body });
      }
      // The watch delivers events in order: once the referenced Secret's change has acted, every
      // unrelated change before it has been seen (and dropped).
      await rotateKeys(namespace, "aws-keys", second);
      await waitFor("the referenced Secret's change to act", async () => mintsWith(second) === 1, {
        timeoutMs: deadlineMs,
      });
      expect(mintsWith(first)).toBe(1);
      expect(await operator.metric("regcred_referenced_secret_changes_total")).toBe(changes + 1);
    },
    timeout,
  );
});
