// Checking logins against a real registry (CNCF distribution with htpasswd, on loopback) from a
// real control plane: the Verified condition and status.verification for an accepted login, a
// refused one and a canary image that does not exist; Enforce keeping the last working login when
// the new one is refused; one check per login and host however many namespaces share it; and the
// address policy, which leaves a loopback registry unasked unless the operator allows it.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import type { Condition, CredentialSource } from "../../src/api/v1alpha1.js";
import {
  ClusterRegistryCredentials,
  clusterRegistryCredential,
  dockerConfigOf,
  RegistryCredentials,
  readSecret,
  registryCredential,
} from "../support/fixtures.js";
import { adminKubeConfig, createNamespace, uniqueName } from "../support/kube.js";
import { recordIssued } from "../support/leaks/ledger.js";
import { type Registry, startRegistry } from "../support/registry.js";
import { startTestOperator, type TestOperator } from "../support/test-operator.js";
import { waitFor } from "../support/wait.js";

const timeout = 180_000;
const operatorNamespace = "regcred-system";

let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let registry: Registry;
let login: { username: string; password: string };
let operator: TestOperator | undefined;
let unallowed: TestOperator | undefined;

const loginSecret = (name: string, password: string): k8s.V1Secret => ({
  metadata: { name },
  stringData: { username: login.username, password },
});

const basicSource = (secret: string, image?: string): CredentialSource => ({
  basic: { registries: [registry.host], secretRef: { name: secret } },
  ...(image ? { verify: { image } } : {}),
});

const verifiedOf = (object: { status?: { conditions?: Condition[] } } | undefined) =>
  object?.status?.conditions?.find((c) => c.type === "Verified");

async function passwordIn(namespace: string, name: string): Promise<string | undefined> {
  const secret = await readSecret(core, namespace, name);
  return secret ? dockerConfigOf(secret).auths[registry.host]?.password : undefined;
}

beforeAll(async () => {
  kc = adminKubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  login = { username: "puller", password: randomBytes(18).toString("base64url") };
  recordIssued("the registry's password", login.password);
  registry = await startRegistry(login);
  const verification = {
    allowedNetworks: ["127.0.0.0/8"],
    insecureRegistries: [registry.host],
    refusedRemintMs: 5 * 60_000,
  };
  operator = await startTestOperator({ kc, config: { verification } });
}, timeout);

afterAll(async () => {
  await unallowed?.stop();
  await operator?.stop();
  await registry?.stop();
}, timeout);

describe("the Verified condition", () => {
  it.each<[string, string | undefined, string | undefined, Partial<Condition>, string]>([
    [
      "is True when the registry accepts the login",
      "right",
      undefined,
      { status: "True", reason: "Authenticated" },
      "1 registry login(s) accepted",
    ],
    [
      "is True when the registry serves the canary image to the login",
      "right",
      "app:1",
      { status: "True", reason: "Authenticated" },
      "(canary app:1)",
    ],
    [
      "is False, NotFound, for a canary image the registry does not have",
      "right",
      "missing/app:1",
      { status: "False", reason: "NotFound" },
      "missing/app",
    ],
    [
      "is False, Unauthorized, when the registry refuses the login, which Warn writes anyway",
      "wrong",
      undefined,
      { status: "False", reason: "Unauthorized" },
      "401",
    ],
  ])("%s", async (_name, which, image, expected, words) => {
    const namespace = await createNamespace(core, "verify");
    const password = which === "right" ? login.password : `wrong-${randomBytes(8).toString("hex")}`;
    await core.createNamespacedSecret({ namespace, body: loginSecret("login", password) });
    const credentials = new RegistryCredentials(kc, namespace);
    await credentials.create(registryCredential("pulls", { sources: [basicSource("login", image)] }));
    await waitFor("the Verified condition", async () => !!verifiedOf(await credentials.get("pulls")));
    const rc = await credentials.get("pulls");
    expect(verifiedOf(rc)).toMatchObject(expected);
    expect(verifiedOf(rc)?.message).toContain(words);
    expect(rc?.status?.verification).toEqual([
      expect.objectContaining({ index: 0, host: registry.host, reason: expected.reason }),
    ]);
    // Warn never withholds the login: the Secret holds it whatever the registry said.
    expect(await passwordIn(namespace, "pulls")).toBe(password);
  });
});

describe("spec.verify.mode Enforce", () => {
  it(
    "keeps the last working login when the new one is refused, with Ready=False, RegistryRefused",
    async () => {
      const namespace = await createNamespace(core, "verify-enforce");
      await core.createNamespacedSecret({ namespace, body: loginSecret("login", login.password) });
      const credentials = new RegistryCredentials(kc, namespace);
      await credentials.create(
        registryCredential("pulls", { sources: [basicSource("login")], verify: { mode: "Enforce" } }),
      );
      await credentials.waitForReady("pulls");
      expect(verifiedOf(await credentials.get("pulls"))?.reason).toBe("Authenticated");

      // The static credential is rotated to a password the registry does not take.
      const wrong = `wrong-${randomBytes(8).toString("hex")}`;
      await core.replaceNamespacedSecret({ namespace, name: "login", body: loginSecret("login", wrong) });
      await waitFor("the refusal reported", async () => {
        const rc = await credentials.get("pulls");
        const ready = rc?.status?.conditions?.find((c) => c.type === "Ready");
        return ready?.reason === "RegistryRefused" && verifiedOf(rc)?.reason === "Unauthorized";
      });
      expect(await passwordIn(namespace, "pulls")).toBe(login.password);
      const ready = (await credentials.get("pulls"))?.status?.conditions?.find((c) => c.type === "Ready");
      expect(ready?.message).toContain("keeps the last login");
    },
    timeout,
  );
});

describe("one check per login and host", () => {
  it(
    "asks the registry once for a ClusterRegistryCredential written into three namespaces",
    async () => {
      const team = uniqueName("verify-team");
      const secret = uniqueName("fan-login");
      await core.createNamespacedSecret({
        namespace: operatorNamespace,
        body: loginSecret(secret, login.password),
      });
      const before = await (operator as TestOperator).metric("regcred_verification_total", {
        result: "Authenticated",
      });
      for (let i = 0; i < 3; i++) await createNamespace(core, "verify-fan", { team });
      const crcs = new ClusterRegistryCredentials(kc);
      const name = uniqueName("fan");
      await crcs.create(
        clusterRegistryCredential(name, {
          sources: [basicSource(secret)],
          namespaces: { selector: { matchLabels: { team } } },
        }),
      );
      await waitFor("the fan-out, verified", async () => {
        const crc = await crcs.get(name);
        return crc?.status?.namespaces?.inSync === 3 && verifiedOf(crc)?.reason === "Authenticated";
      });
      expect(
        await (operator as TestOperator).metric("regcred_verification_total", { result: "Authenticated" }),
      ).toBe(before + 1);
    },
    timeout,
  );
});

describe("the address policy", () => {
  it(
    "leaves a registry on a loopback address unasked unless the operator allows loopback, and says which flag would",
    async () => {
      const namespace = await createNamespace(core, "verify-policy");
      // The same cluster under an operator that allows no private address.
      await operator?.stop();
      operator = undefined;
      unallowed = await startTestOperator({
        kc,
        config: {
          verification: {
            allowedNetworks: [],
            insecureRegistries: [registry.host],
            refusedRemintMs: 300_000,
          },
        },
      });
      await core.createNamespacedSecret({ namespace, body: loginSecret("login", login.password) });
      const credentials = new RegistryCredentials(kc, namespace);
      await credentials.create(registryCredential("pulls", { sources: [basicSource("login")] }));
      await waitFor("the Verified condition", async () => !!verifiedOf(await credentials.get("pulls")));
      const verified = verifiedOf(await credentials.get("pulls"));
      expect(verified).toMatchObject({ status: "Unknown", reason: "Skipped" });
      expect(verified?.message).toContain("--verify-allowed-networks");
      expect(await passwordIn(namespace, "pulls")).toBe(login.password);
    },
    timeout,
  );
});
