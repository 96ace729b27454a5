import { describe, expect, it } from "@jest/globals";
import { guardWrites, NotLeaderError } from "../../../src/leader/write-guard.js";

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
