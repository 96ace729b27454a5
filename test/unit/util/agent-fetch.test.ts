// agentFetch: the fetch the gar provider's own calls go through, over node:http(s) and chosen agents.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { agentFetch } from "../../../src/util/agent-fetch.js";
import { createProxyAgents } from "../../../src/util/proxy-agents.js";

interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingMessage["headers"];
  body: string;
}

describe("agentFetch", () => {
  let server: Server;
  let base: string;
  const seen: Seen[] = [];
  beforeEach(async () => {
    seen.length = 0;
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        seen.push({
          method: request.method,
          url: request.url,
          headers: request.headers,
          body: Buffer.concat(chunks).toString(),
        });
        if (request.url === "/silent") return;
        if (request.url === "/moved") response.writeHead(302, { location: "/elsewhere" }).end();
        else if (request.url === "/empty") response.writeHead(204).end();
        else
          response
            .writeHead(200, { "content-type": "application/json", "set-cookie": ["a=1", "b=2"] })
            .end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const fetch = () => agentFetch(createProxyAgents({ environment: {} }));

  it("sends method, headers and a form body, and answers with status, headers and body", async () => {
    const response = await fetch()(`${base}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "x", assertion: "y" }),
    });
    expect(seen).toEqual([
      expect.objectContaining({
        method: "POST",
        url: "/token",
        body: "grant_type=x&assertion=y",
        headers: expect.objectContaining({
          "content-type": "application/x-www-form-urlencoded",
          "content-length": "24",
        }),
      }),
    ]);
    expect(response.status).toBe(200);
    expect(response.ok).toBe(true);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("set-cookie")).toBe("a=1, b=2");
    expect(await response.json()).toEqual({ ok: true });
  });

  it.each([
    ["answers a redirect as a redirect, without following it", "/moved", 302],
    ["answers 204 with an empty body", "/empty", 204],
  ])("%s", async (_name, path, status) => {
    const response = await fetch()(`${base}${path}`, {});
    expect(response.status).toBe(status);
    expect(await response.text()).toBe("");
    expect(seen.map((request) => request.url)).toEqual([path]);
  });

  it("rejects with the signal's reason when it aborts while the server is silent", async () => {
    const controller = new AbortController();
    const call = fetch()(`${base}/silent`, { signal: controller.signal });
    while (seen.length === 0) await new Promise((resolve) => setImmediate(resolve));
    const reason = new Error("deadline reached");
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
  });

  it.each<[string, string, RequestInit, string]>([
    ["a scheme other than http(s)", "ftp://127.0.0.1/file", {}, "cannot fetch ftp: URLs"],
    [
      "a body that is neither text nor a form",
      "http://127.0.0.1:9/",
      { method: "POST", body: new Blob(["x"]) },
      "string or URLSearchParams bodies only",
    ],
  ])("refuses %s before sending anything", async (_name, url, init, message) => {
    await expect(fetch()(url, init)).rejects.toThrow(message);
  });
});
