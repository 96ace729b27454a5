import { describe, expect, it, jest } from "@jest/globals";
import type { RegistryToken } from "../../../src/providers/provider.js";
import { type MintedTokens, TokenCache } from "../../../src/tokens/token-cache.js";
import { systemClock } from "../../../src/util/clock.js";

const t0 = new Date("2030-01-01T00:00:00.000Z");

function token(host: string, password: string, expiresAt?: Date): RegistryToken {
  return { host, username: "AWS", password, ...(expiresAt ? { expiresAt } : {}) };
}

/** A clock tests move by hand. */
function clock(start = t0) {
  let now = start.getTime();
  return { now: () => new Date(now), advance: (ms: number) => (now += ms) };
}

/** A mint function that returns a fresh password each call and counts its calls. */
function counter(host = "registry.example") {
  let calls = 0;
  const mint = jest.fn(async () => [token(host, `password-${++calls}`)]);
  return mint;
}

/** A mint whose result the test releases by hand. */
function deferred() {
  let resolve: (tokens: RegistryToken[]) => void = () => {};
  let reject: (error: Error) => void = () => {};
  const promise = new Promise<RegistryToken[]>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { mint: jest.fn(() => promise), resolve, reject };
}

const always = () => true;
const never = () => false;
const passwords = (minted: MintedTokens) => minted.tokens.map((t) => t.password);

describe("TokenCache.get", () => {
  it("mints on a miss and stamps the entry with the clock's time", async () => {
    const time = clock();
    const cache = new TokenCache({ ...systemClock, now: () => time.now().getTime() });
    const mint = counter();
    const result = await cache.get("id-a", always, mint);
    expect(result).toEqual({
      tokens: [token("registry.example", "password-1")],
      mintedAt: t0,
      cached: false,
    });
    expect(mint).toHaveBeenCalledTimes(1);
    expect(cache.size).toBe(1);
  });

  it("reuses a fresh entry without minting", async () => {
    const time = clock();
    const cache = new TokenCache({ ...systemClock, now: () => time.now().getTime() });
    const mint = counter();
    await cache.get("id-a", always, mint);
    time.advance(60_000);
    const second = await cache.get("id-a", always, mint);
    expect(second.cached).toBe(true);
    expect(passwords(second)).toEqual(["password-1"]);
    expect(second.mintedAt).toEqual(t0);
    expect(mint).toHaveBeenCalledTimes(1);
  });

  it("re-mints a stale entry and replaces it", async () => {
    const time = clock();
    const cache = new TokenCache({ ...systemClock, now: () => time.now().getTime() });
    const mint = counter();
    await cache.get("id-a", always, mint);
    time.advance(3_600_000);
    const youngerThanHalfAnHour = (entry: MintedTokens) =>
      time.now().getTime() - entry.mintedAt.getTime() < 1_800_000;
    const second = await cache.get("id-a", youngerThanHalfAnHour, mint);
    expect(second).toMatchObject({ cached: false, mintedAt: new Date(t0.getTime() + 3_600_000) });
    expect(passwords(second)).toEqual(["password-2"]);
    const third = await cache.get("id-a", youngerThanHalfAnHour, mint);
    expect(third.cached).toBe(true);
    expect(passwords(third)).toEqual(["password-2"]);
    expect(mint).toHaveBeenCalledTimes(2);
  });

  it("passes the cached entry to isFresh", async () => {
    const cache = new TokenCache({ ...systemClock, now: () => clock().now().getTime() });
    await cache.get("id-a", always, counter());
    const isFresh = jest.fn((_entry: MintedTokens) => true);
    await cache.get("id-a", isFresh, counter());
    expect(isFresh).toHaveBeenCalledWith({ tokens: [token("registry.example", "password-1")], mintedAt: t0 });
  });

  it("keeps identities apart", async () => {
    const cache = new TokenCache({ ...systemClock, now: () => clock().now().getTime() });
    const a = counter("a.example");
    const b = counter("b.example");
    await cache.get("id-a", always, a);
    const fromB = await cache.get("id-b", always, b);
    expect(fromB.tokens.map((t) => t.host)).toEqual(["b.example"]);
    expect(a).toHaveBeenCalledTimes(1);
    expect(b).toHaveBeenCalledTimes(1);
    expect(cache.size).toBe(2);
  });

  it("shares one mint between concurrent requests for one identity (single flight)", async () => {
    const cache = new TokenCache({ ...systemClock, now: () => clock().now().getTime() });
    const pending = deferred();
    const requests = [1, 2, 3].map(() => cache.get("id-a", never, pending.mint));
    pending.resolve([token("registry.example", "shared")]);
    const results = await Promise.all(requests);
    expect(pending.mint).toHaveBeenCalledTimes(1);
    expect(results.map((r) => [r.cached, passwords(r)])).toEqual([
      [false, ["shared"]],
      [false, ["shared"]],
      [false, ["shared"]],
    ]);
  });

  it("does not share a mint between different identities", async () => {
    const cache = new TokenCache({ ...systemClock, now: () => clock().now().getTime() });
    const a = deferred();
    const b = deferred();
    const fromA = cache.get("id-a", never, a.mint);
    const fromB = cache.get("id-b", never, b.mint);
    b.resolve([token("b.example", "b")]);
    a.resolve([token("a.example", "a")]);
    expect(passwords(await fromA)).toEqual(["a"]);
    expect(passwords(await fromB)).toEqual(["b"]);
  });

  it("mints again after a shared mint has settled", async () => {
    const cache = new TokenCache({ ...systemClock, now: () => clock().now().getTime() });
    const mint = counter();
    await Promise.all([cache.get("id-a", never, mint), cache.get("id-a", never, mint)]);
    const later = await cache.get("id-a", never, mint);
    expect(passwords(later)).toEqual(["password-2"]);
    expect(mint).toHaveBeenCalledTimes(2);
  });

  it("rejects every waiter with the mint's error and caches nothing on a first failure", async () => {
    const cache = new TokenCache({ ...systemClock, now: () => clock().now().getTime() });
    const pending = deferred();
    const requests = [cache.get("id-a", never, pending.mint), cache.get("id-a", never, pending.mint)];
    pending.reject(new Error("throttled"));
    for (const request of requests) await expect(request).rejects.toThrow("throttled");
    expect(pending.mint).toHaveBeenCalledTimes(1);
    expect(cache.size).toBe(0);
  });

  it("leaves the previous entry in place when a re-mint fails, and retries on the next get", async () => {
    const cache = new TokenCache({ ...systemClock, now: () => clock().now().getTime() });
    await cache.get("id-a", always, counter());
    await expect(
      cache.get("id-a", never, async () => {
        throw new Error("provider down");
      }),
    ).rejects.toThrow("provider down");
    const previous = await cache.get("id-a", always, counter());
    expect(previous.cached).toBe(true);
    expect(passwords(previous)).toEqual(["password-1"]);
    const retried = await cache.get("id-a", never, async () => [token("registry.example", "recovered")]);
    expect(passwords(retried)).toEqual(["recovered"]);
  });
});

describe("TokenCache.seed", () => {
  const recovered: MintedTokens = { tokens: [token("registry.example", "from-secret")], mintedAt: t0 };

  it("stores a recovered entry that get() then reuses", async () => {
    const cache = new TokenCache({ ...systemClock, now: () => clock().now().getTime() });
    cache.seed("id-a", recovered);
    const mint = counter();
    const result = await cache.get("id-a", always, mint);
    expect(result).toMatchObject({ cached: true, mintedAt: t0 });
    expect(passwords(result)).toEqual(["from-secret"]);
    expect(mint).not.toHaveBeenCalled();
  });

  it("does not overwrite an entry already cached", async () => {
    const cache = new TokenCache({ ...systemClock, now: () => clock().now().getTime() });
    await cache.get("id-a", always, counter());
    cache.seed("id-a", recovered);
    expect(passwords(await cache.get("id-a", always, counter()))).toEqual(["password-1"]);
    expect(cache.size).toBe(1);
  });
});

describe("TokenCache.prune", () => {
  const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);

  it("drops an entry whose tokens have no known expiry once it is older than the maximum age", async () => {
    const cache = new TokenCache({ ...systemClock, now: () => clock().now().getTime() });
    await cache.get("id-a", always, async () => [token("a", "p")]);
    cache.prune(at(59), 60 * 60_000);
    expect(cache.size).toBe(1);
    cache.prune(at(61), 60 * 60_000);
    expect(cache.size).toBe(0);
  });

  it.each<[string, RegistryToken[], boolean]>([
    ["drops an entry whose every token expired", [token("a", "p", at(10)), token("b", "p", at(20))], false],
    ["keeps an entry with one token still valid", [token("a", "p", at(10)), token("b", "p", at(60))], true],
    ["keeps an entry whose token expires exactly at the cut-off", [token("a", "p", at(30))], true],
    ["keeps an entry with a token of unknown expiry minted within the maximum age", [token("a", "p")], true],
  ])("%s", async (_name, tokens, kept) => {
    const cache = new TokenCache({ ...systemClock, now: () => clock().now().getTime() });
    await cache.get("id-a", always, async () => tokens);
    await cache.get("id-other", always, async () => [token("c", "p", at(120))]);
    cache.prune(at(30), 60 * 60_000);
    expect(cache.size).toBe(kept ? 2 : 1);
    const mint = counter();
    await cache.get("id-a", always, mint);
    expect(mint).toHaveBeenCalledTimes(kept ? 0 : 1);
  });
});
