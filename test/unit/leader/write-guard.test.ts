import { describe, expect, it } from "@jest/globals";
import { KubeConfig } from "@kubernetes/client-node";
import { createKubeClients } from "../../../src/kube/clients.js";
import { guardAllWrites, guardWrites, NotLeaderError } from "../../../src/leader/write-guard.js";

class Api {
  readonly prefix = "ok";
  async readThing(): Promise<string> {
    return `${this.prefix}:read`;
  }
  async patchThing(): Promise<string> {
    return `${this.prefix}:patch`;
  }
  async deleteThing(): Promise<string> {
    return `${this.prefix}:delete`;
  }
}

describe("guardWrites", () => {
  it("passes reads through and refuses writes while not allowed", async () => {
    let allowed = true;
    const api = guardWrites(new Api(), () => allowed);
    expect(await api.patchThing()).toBe("ok:patch");
    allowed = false;
    expect(await api.readThing()).toBe("ok:read");
    await expect(api.patchThing()).rejects.toBeInstanceOf(NotLeaderError);
    await expect(api.deleteThing()).rejects.toThrow(/not the leader/);
    expect(api.prefix).toBe("ok");
  });
});

describe("guardAllWrites over the operator's clients", () => {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: "https://127.0.0.1:1", skipTLSVerify: true }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  const clients = guardAllWrites(createKubeClients(kc, { qps: 1, burst: 1 }), () => false);

  /** Every create/replace/patch/delete method of a client-node API object, through its prototypes. */
  function writeMethods(api: object): string[] {
    const names = new Set<string>();
    for (
      let proto = Object.getPrototypeOf(api);
      proto && proto !== Object.prototype;
      proto = Object.getPrototypeOf(proto)
    )
      for (const name of Object.getOwnPropertyNames(proto))
        if (/^(create|replace|patch|delete)/.test(name)) names.add(name);
    return [...names];
  }

  it.each(Object.keys(clients))(
    "refuses every write of the %s client while this replica does not lead",
    async (name) => {
      const api = clients[name as keyof typeof clients] as unknown as Record<
        string,
        (...a: unknown[]) => Promise<unknown>
      >;
      const methods = writeMethods(api);
      expect(methods.length).toBeGreaterThan(0);
      for (const method of methods) await expect(api[method]?.({})).rejects.toBeInstanceOf(NotLeaderError);
    },
  );
});
