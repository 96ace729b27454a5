// The acr provider's own https client: answers as they are (redirects not followed), bodies
// capped, a deadline per request, https only.
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createRegistryHttp } from "../../../../src/providers/acr/registry-http.js";
import { createCertificateAuthority } from "../../../support/pki.js";

let server: Server;
let base: string;
let ca: string;
const received: string[] = [];
const timers: NodeJS.Timeout[] = [];

beforeAll(async () => {
  const authority = await createCertificateAuthority("registry-http test");
  ca = authority.certPem;
  const serving = await authority.issue({
    commonName: "127.0.0.1",
    ipAddresses: ["127.0.0.1"],
    usage: "server",
  });
  server = createServer({ cert: serving.certPem, key: serving.keyPem }, (request, response) => {
    received.push(request.url ?? "");
    if (request.url === "/redirect") {
      response.writeHead(302, { location: `${base}/elsewhere` });
      response.end();
    } else if (request.url === "/large") {
      response.writeHead(200);
      response.end("x".repeat(70 * 1024));
    } else if (request.url === "/trickle") {
      response.writeHead(200);
      const drip = setInterval(() => response.write("."), 50);
      timers.push(drip);
      response.on("close", () => clearInterval(drip));
    } else if (request.url === "/slow") {
      timers.push(setTimeout(() => response.end("late"), 2_000));
    } else {
      response.writeHead(200, { "x-answer": "yes" });
      response.end("small");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const timer of timers) clearTimeout(timer);
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("the registry http client", () => {
  it("returns an answer with its status, headers and body", async () => {
    const answer = await createRegistryHttp({ ca })({ method: "GET", url: new URL(`${base}/ok`) });
    expect(answer).toMatchObject({ status: 200, body: "small", headers: { "x-answer": "yes" } });
  });

  it("does not follow a redirect", async () => {
    received.length = 0;
    const answer = await createRegistryHttp({ ca })({ method: "GET", url: new URL(`${base}/redirect`) });
    expect(answer.status).toBe(302);
    expect(received).toEqual(["/redirect"]);
  });

  it.each<[string, string, { timeoutMs?: number; maxBodyBytes?: number }, RegExp]>([
    ["refuses a body over the cap", "/large", {}, /the answer exceeded 65536 bytes/],
    [
      "gives up on a server that does not answer in time",
      "/slow",
      { timeoutMs: 200 },
      /no answer within 200 ms/,
    ],
    [
      "gives up on an answer that trickles in past the deadline",
      "/trickle",
      { timeoutMs: 300 },
      /no answer within 300 ms/,
    ],
  ])("%s", async (_name, path, limits, message) => {
    await expect(
      createRegistryHttp({ ca, ...limits })({ method: "GET", url: new URL(`${base}${path}`) }),
    ).rejects.toThrow(message);
  });

  it("refuses plain http before connecting", async () => {
    await expect(
      createRegistryHttp({ ca })({ method: "POST", url: new URL("http://127.0.0.1:1/oauth2/exchange") }),
    ).rejects.toThrow("POST http://127.0.0.1:1/oauth2/exchange: only https is allowed");
  });

  it("refuses a server whose certificate it does not trust", async () => {
    await expect(createRegistryHttp()({ method: "GET", url: new URL(`${base}/ok`) })).rejects.toThrow(
      /GET https:\/\/127\.0\.0\.1:\d+\/ok: .*(self-signed|unable to verify|certificate)/i,
    );
  });
});
