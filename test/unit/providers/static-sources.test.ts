// What the basic and dockerConfig providers make of the Secrets they read, beyond the conformance suite.
import { describe, expect, it } from "@jest/globals";
import type { BasicSource, DockerConfigSource } from "../../../src/api/v1alpha1.js";
import { createBasicProvider } from "../../../src/providers/basic/provider.js";
import { createDockerConfigProvider } from "../../../src/providers/docker-config/provider.js";
import { CredentialError } from "../../../src/providers/errors.js";
import { FakeSourceAccess } from "../../fakes/kube/fake-source-access.js";

const token = "STATICPROVIDERTESTTOKEN0123456789ABCDEF";

async function failure(promise: Promise<unknown>): Promise<CredentialError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CredentialError) return error;
    throw error;
  }
  throw new Error("expected a CredentialError");
}

describe("a basic source", () => {
  const mint = async (spec: BasicSource, data: Record<string, string>) => {
    const access = new FakeSourceAccess().putSecret("creds", data);
    return (await createBasicProvider().resolve(spec, access)).mint();
  };
  const hub = (extra: Partial<BasicSource> = {}): BasicSource => ({
    registries: ["docker.io"],
    secretRef: { name: "creds" },
    ...extra,
  });

  it.each<[string, BasicSource, Record<string, string>, { username: string; password: string }]>([
    [
      "trims the newline echo leaves",
      hub(),
      { username: "bot\n", password: `${token}\n` },
      { username: "bot", password: token },
    ],
    [
      "takes the username from the spec and a token from the key it names",
      hub({ username: "robot$puller", secretRef: { name: "creds", passwordKey: "token" } }),
      { token },
      { username: "robot$puller", password: token },
    ],
    [
      "reads the keys the spec names",
      hub({ secretRef: { name: "creds", usernameKey: "user", passwordKey: "pat" } }),
      { user: "org+robot", pat: token },
      { username: "org+robot", password: token },
    ],
  ])("%s", async (_name, spec, data, login) => {
    expect(await mint(spec, data)).toEqual([{ host: "docker.io", ...login }]);
  });

  it.each<[string, Record<string, string>, string]>([
    ["a missing password key", { username: "bot" }, "Secret tenant-a/creds has no key password"],
    [
      "an empty password",
      { username: "bot", password: "  \n" },
      "Secret tenant-a/creds key password is empty",
    ],
    ["a username with a colon", { username: "bot:x", password: token }, "key username holds a colon"],
    [
      "a password with a line break inside",
      { username: "bot", password: `${token}\nsecond` },
      "key password holds line breaks",
    ],
  ])("refuses %s as InvalidSpec without quoting values", async (_name, data, message) => {
    const error = await failure(mint(hub(), data));
    expect(error.reason).toBe("InvalidSpec");
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(message);
    expect(error.message).not.toContain(token);
  });
});

describe("a dockerConfig source", () => {
  const secretWith = (
    auths: Record<string, unknown>,
    extra: Partial<{ labels: Record<string, string>; annotations: Record<string, string> }> = {},
  ) => {
    const access = new FakeSourceAccess().putSecret("pull", {
      ".dockerconfigjson": JSON.stringify({ auths }),
    });
    const stored = access.secrets.get("pull");
    if (stored) access.secrets.set("pull", { ...stored, ...extra });
    return access;
  };
  const resolve = (access: FakeSourceAccess, spec: Partial<DockerConfigSource> = {}) =>
    createDockerConfigProvider().resolve({ secretRef: { name: "pull" }, ...spec }, access);
  const auth = (login: string) => Buffer.from(login).toString("base64");

  it("prefers the auth field over username and password, as the kubelet does", async () => {
    const access = secretWith({
      "quay.io": { username: "stale", password: "stale-password", auth: auth(`org+bot:${token}`) },
    });
    expect(await (await resolve(access)).mint()).toEqual([
      { host: "quay.io", username: "org+bot", password: token },
    ]);
  });

  it("writes a listed host under its own name, found under Docker Hub's other name", async () => {
    const access = secretWith({ "https://index.docker.io/v1/": { auth: auth(`bot:${token}`) } });
    expect(await (await resolve(access, { hosts: ["docker.io"] })).mint()).toEqual([
      { host: "docker.io", username: "bot", password: token },
    ]);
  });

  it("leaves out entries the host list does not name, even unusable ones", async () => {
    const access = secretWith({
      "quay.io": { auth: auth(`bot:${token}`) },
      "*.example.com": { auth: "garbage" },
    });
    expect((await (await resolve(access, { hosts: ["quay.io"] })).mint()).map((t) => t.host)).toEqual([
      "quay.io",
    ]);
  });

  it.each<[string, Record<string, unknown>, Partial<DockerConfigSource>, string]>([
    [
      "a listed host the Secret lacks",
      { "quay.io": { auth: auth(`bot:${token}`) } },
      { hosts: ["ghcr.io"] },
      "has no auths entry for ghcr.io (it has quay.io)",
    ],
    [
      "an entry with only an identity token",
      { "quay.io": { identitytoken: token } },
      {},
      "holds only an identity or registry token",
    ],
    ["no entries", {}, {}, "holds no auths entries"],
    [
      "two keys for one host",
      { "quay.io": { auth: auth(`a:${token}`) }, "https://quay.io": { auth: auth(`b:${token}`) } },
      {},
      'the auths keys "quay.io" and "https://quay.io" both name quay.io',
    ],
  ])("refuses %s as InvalidSpec without quoting values", async (_name, auths, spec, message) => {
    const error = await failure(resolve(secretWith(auths), spec));
    expect(error.reason).toBe("InvalidSpec");
    expect(error.message).toContain(message);
    expect(error.message).not.toContain(token);
  });

  it.each<[string, Partial<{ labels: Record<string, string>; annotations: Record<string, string> }>]>([
    ["the managed-by label", { labels: { "app.kubernetes.io/managed-by": "registry-credential-operator" } }],
    [
      "the owner annotation alone",
      { annotations: { "regcred.dev/owner": "ClusterRegistryCredential/platform" } },
    ],
    ["the signature annotation alone", { annotations: { "regcred.dev/signature": "v1:abc" } }],
  ])("refuses a Secret carrying %s of this operator", async (_name, marks) => {
    const error = await failure(resolve(secretWith({ "quay.io": { auth: auth(`bot:${token}`) } }, marks)));
    expect(error.reason).toBe("InvalidSpec");
    expect(error.message).toContain("a dockerConfig source cannot read a Secret this operator manages");
  });

  it("refuses a Secret without a .dockerconfigjson key", async () => {
    const access = new FakeSourceAccess().putSecret("pull", { ".dockercfg": "{}" });
    const error = await failure(resolve(access));
    expect(error.message).toContain("Secret tenant-a/pull has no key .dockerconfigjson");
  });
});
