// The webhook's HTTP contract over real HTTPS (a freshly generated self-signed certificate), with
// the AdmissionReview shapes the apiserver sends and expects.

import { X509Certificate } from "node:crypto";
import { request } from "node:https";
import type { TLSSocket } from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { createLogger } from "../../../src/logging/logger.js";
import { type AdmissionServer, startAdmissionServer } from "../../../src/webhook/admission-server.js";
import type { PullSecretIndex } from "../../../src/webhook/pull-secret-index.js";
import type { TlsMaterial } from "../../../src/webhook/rotating-secure-context.js";
import {
  createSelfSignedServingCertificate,
  type SelfSignedCertificate,
} from "../../../src/webhook/self-signed-certificate.js";
import { MutablePullSecretIndex } from "../../fakes/webhook/mutable-pull-secret-index.js";

const dnsName = "webhook.test.svc";
const issue = () =>
  createSelfSignedServingCertificate({
    dnsNames: [dnsName],
    ipAddresses: ["127.0.0.1"],
    validityMs: 3600_000,
  });

interface Reply {
  status: number;
  body: string;
  peerFingerprint: string;
}

function call(
  port: number,
  ca: string,
  options: { method?: string; path?: string; body?: string | Buffer; servername?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: options.method ?? "POST",
        path: options.path ?? "/mutate-pods",
        ca,
        agent: false,
        servername: options.servername,
        headers: { "content-type": "application/json" },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            peerFingerprint: (res.socket as TLSSocket).getPeerCertificate().fingerprint256,
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256;

function review(overrides: Record<string, unknown> = {}, pod: Record<string, unknown> = {}) {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "705ab4f5-6393-11e8-b7cc-42010a800002",
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      requestKind: { group: "", version: "v1", kind: "Pod" },
      requestResource: { group: "", version: "v1", resource: "pods" },
      namespace: "team-a",
      operation: "CREATE",
      userInfo: { username: "admin" },
      object: {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { generateName: "web-", namespace: "team-a" },
        spec: {
          containers: [{ name: "app", image: "registry.example.com/very-private-image:1" }],
          imagePullSecrets: [{ name: "foreign" }],
        },
        ...pod,
      },
      oldObject: null,
      dryRun: false,
      options: { apiVersion: "meta.k8s.io/v1", kind: "CreateOptions" },
      ...overrides,
    },
  };
}

const decodePatch = (response: { patch?: string }) =>
  JSON.parse(Buffer.from(response.patch ?? "", "base64").toString("utf8")) as unknown;

describe("admission server", () => {
  let cert: SelfSignedCertificate;
  let material: TlsMaterial;
  let server: AdmissionServer;
  const logs: string[] = [];
  const index = new MutablePullSecretIndex();
  index.set("ClusterRegistryCredential/ecr", "team-a", ["ecr-pull", "gar-pull"]);

  beforeAll(async () => {
    cert = await issue();
    material = cert;
    server = await startAdmissionServer({
      host: "127.0.0.1",
      port: 0,
      tls: () => material,
      index,
      logger: createLogger({ level: "debug", destination: { write: (line: string) => logs.push(line) } }),
      maxBodyBytes: 64 * 1024,
    });
  });

  afterAll(async () => {
    await server.close();
  });

  it("serves GET /healthz", async () => {
    const reply = await call(server.port, cert.caCertPem, { method: "GET", path: "/healthz" });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe("ok\n");
  });

  it("allows a targeted pod with a base64 JSONPatch adding the missing secrets, echoing the uid", async () => {
    const reply = await call(server.port, cert.caCertPem, { body: JSON.stringify(review()) });
    expect(reply.status).toBe(200);
    const body = JSON.parse(reply.body) as {
      apiVersion: string;
      kind: string;
      response: Record<string, unknown>;
    };
    expect(body.apiVersion).toBe("admission.k8s.io/v1");
    expect(body.kind).toBe("AdmissionReview");
    expect(body.response).toEqual({
      uid: "705ab4f5-6393-11e8-b7cc-42010a800002",
      allowed: true,
      patchType: "JSONPatch",
      patch: expect.any(String),
    });
    expect(decodePatch(body.response)).toEqual([
      { op: "add", path: "/spec/imagePullSecrets/-", value: { name: "ecr-pull" } },
      { op: "add", path: "/spec/imagePullSecrets/-", value: { name: "gar-pull" } },
    ]);
  });

  it("logs identifiers, never the pod spec", async () => {
    logs.length = 0;
    await call(server.port, cert.caCertPem, { body: JSON.stringify(review()) });
    const text = logs.join("");
    expect(text).toContain("705ab4f5-6393-11e8-b7cc-42010a800002");
    expect(text).toContain("team-a");
    expect(text).not.toContain("very-private-image");
    expect(text).not.toContain("containers");
  });

  it.each([
    ["a namespace nothing targets", review({ namespace: "team-z" }, { metadata: { namespace: "team-z" } })],
    [
      "a pod that already has them",
      review({}, { spec: { imagePullSecrets: [{ name: "gar-pull" }, { name: "ecr-pull" }] } }),
    ],
    ["an UPDATE", review({ operation: "UPDATE" })],
    ["a subresource", review({ subResource: "status" })],
    ["another resource", review({ resource: { group: "apps", version: "v1", resource: "deployments" } })],
    ["an opted-out pod", review({}, { metadata: { annotations: { "regcred.dev/inject": "false" } } })],
    ["a request without object", review({ object: null })],
  ])("allows %s unchanged", async (_what, payload) => {
    const reply = await call(server.port, cert.caCertPem, { body: JSON.stringify(payload) });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: "705ab4f5-6393-11e8-b7cc-42010a800002", allowed: true },
    });
  });

  it("takes the namespace from the object when the request has none", async () => {
    const reply = await call(server.port, cert.caCertPem, {
      body: JSON.stringify(review({ namespace: undefined })),
    });
    const body = JSON.parse(reply.body) as { response: { patch?: string } };
    expect(decodePatch(body.response)).toHaveLength(2);
  });

  it.each([
    ["not JSON", "{nope"],
    ["a JSON array", "[]"],
    ["a v1beta1 review", JSON.stringify({ ...review(), apiVersion: "admission.k8s.io/v1beta1" })],
    ["another kind", JSON.stringify({ ...review(), kind: "Pod" })],
    ["no request", JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" })],
    ["no uid", JSON.stringify(review({ uid: undefined }))],
    ["an empty uid", JSON.stringify(review({ uid: "" }))],
    ["an empty body", ""],
  ])("answers 400 to %s", async (_what, body) => {
    const reply = await call(server.port, cert.caCertPem, { body });
    expect(reply.status).toBe(400);
  });

  it("answers 413 to a body over the limit", async () => {
    const body = JSON.stringify(review({}, { metadata: { annotations: { big: "x".repeat(100 * 1024) } } }));
    const reply = await call(server.port, cert.caCertPem, { body });
    expect(reply.status).toBe(413);
  });

  it("answers 404 to other paths and 405 to other methods", async () => {
    expect((await call(server.port, cert.caCertPem, { path: "/validate" })).status).toBe(404);
    expect((await call(server.port, cert.caCertPem, { method: "GET" })).status).toBe(405);
    expect((await call(server.port, cert.caCertPem, { method: "PUT", body: "{}" })).status).toBe(405);
  });
});

describe("admission server certificate rotation and failures", () => {
  const servers: AdmissionServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  const silent = createLogger({ level: "silent" });

  it("serves a rotated certificate on new connections, with and without SNI, without a restart", async () => {
    const first = await issue();
    const second = await issue();
    let material: TlsMaterial = first;
    const server = await startAdmissionServer({
      host: "127.0.0.1",
      port: 0,
      tls: () => material,
      index: new MutablePullSecretIndex(),
      logger: silent,
    });
    servers.push(server);
    const get = (ca: string, servername?: string) =>
      call(server.port, ca, { method: "GET", path: "/healthz", servername });

    expect((await get(first.caCertPem)).peerFingerprint).toBe(fingerprintOf(first.certPem));
    expect((await get(first.caCertPem, dnsName)).peerFingerprint).toBe(fingerprintOf(first.certPem));
    material = second;
    expect((await get(second.caCertPem)).peerFingerprint).toBe(fingerprintOf(second.certPem));
    expect((await get(second.caCertPem, dnsName)).peerFingerprint).toBe(fingerprintOf(second.certPem));
  });

  it("keeps serving the previous certificate when the new material is broken or unreadable", async () => {
    const first = await issue();
    let read = (): TlsMaterial => first;
    const server = await startAdmissionServer({
      host: "127.0.0.1",
      port: 0,
      tls: () => read(),
      index: new MutablePullSecretIndex(),
      logger: silent,
    });
    servers.push(server);
    read = () => ({ certPem: "garbage", keyPem: first.keyPem });
    expect((await call(server.port, first.caCertPem, { method: "GET", path: "/healthz" })).status).toBe(200);
    read = () => {
      throw new Error("not loaded");
    };
    expect((await call(server.port, first.caCertPem, { method: "GET", path: "/healthz" })).status).toBe(200);
  });

  it("allows the pod unchanged when the index throws", async () => {
    const cert = await issue();
    const broken: PullSecretIndex = {
      secretsFor() {
        throw new Error("index broken");
      },
    };
    const server = await startAdmissionServer({
      host: "127.0.0.1",
      port: 0,
      tls: () => cert,
      index: broken,
      logger: silent,
    });
    servers.push(server);
    const reply = await call(server.port, cert.caCertPem, { body: JSON.stringify(review()) });
    expect(reply.status).toBe(200);
    expect((JSON.parse(reply.body) as { response: unknown }).response).toEqual({
      uid: "705ab4f5-6393-11e8-b7cc-42010a800002",
      allowed: true,
    });
  });

  it("refuses to start without a certificate, and close() ends keep-alive connections", async () => {
    await expect(
      startAdmissionServer({
        host: "127.0.0.1",
        port: 0,
        tls: () => {
          throw new Error("no certificate yet");
        },
        index: new MutablePullSecretIndex(),
        logger: silent,
      }),
    ).rejects.toThrow("no certificate yet");

    const cert = await issue();
    const server = await startAdmissionServer({
      host: "127.0.0.1",
      port: 0,
      tls: () => cert,
      index: new MutablePullSecretIndex(),
      logger: silent,
    });
    const { Agent } = await import("node:https");
    const agent = new Agent({ keepAlive: true, ca: cert.caCertPem });
    await new Promise<void>((resolve, reject) => {
      request({ host: "127.0.0.1", port: server.port, path: "/healthz", agent }, (res) => {
        res.resume();
        res.on("end", resolve);
      })
        .on("error", reject)
        .end();
    });
    const started = Date.now();
    await server.close();
    await server.close();
    expect(Date.now() - started).toBeLessThan(2000);
    agent.destroy();
  });
});
