// The fake ECR's SigV4 check against requests signed by @smithy/signature-v4: it must accept
// exactly the requests AWS would accept.
import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import { describe, expect, it } from "@jest/globals";
import { SignatureV4 } from "@smithy/signature-v4";
import { type KnownCredential, type SignedRequest, verifySigV4 } from "../../../fakes/ecr/sigv4-verifier.js";

/** node:crypto in the Checksum shape the signer expects (HMAC when constructed with a secret). */
class NodeSha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.fresh();
  }
  update(data: string | Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    if (this.secret === undefined) return createHash("sha256");
    const key =
      typeof this.secret === "string"
        ? this.secret
        : ArrayBuffer.isView(this.secret)
          ? Buffer.from(this.secret.buffer, this.secret.byteOffset, this.secret.byteLength)
          : Buffer.from(this.secret);
    return createHmac("sha256", key);
  }
}

const known: KnownCredential = {
  accessKeyId: "AKIAVERIFY0000000001",
  secretAccessKey: "verify/secret/key/0001",
};
const withSession: KnownCredential = {
  accessKeyId: "ASIAVERIFY0000000002",
  secretAccessKey: "verify/secret/key/0002",
  sessionToken: "verify-session-token",
};
const body = '{"registryIds":["123456789012"]}';

async function signed(
  credential: KnownCredential,
  { region = "eu-west-1", service = "ecr", path = "/" } = {},
): Promise<SignedRequest> {
  const signer = new SignatureV4({ credentials: credential, region, service, sha256: NodeSha256 });
  const request = await signer.sign({
    method: "POST",
    protocol: "http:",
    hostname: "127.0.0.1",
    port: 4566,
    path,
    query: {},
    headers: {
      host: "127.0.0.1:4566",
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken",
    },
    body,
  });
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  return { method: request.method, url: request.path, headers, body: Buffer.from(body) };
}

const verify = (request: SignedRequest, now?: Date) =>
  verifySigV4(request, {
    region: "eu-west-1",
    service: "ecr",
    lookup: (id) => [known, withSession].find((credential) => credential.accessKeyId === id),
    ...(now ? { now } : {}),
  });

describe("verifySigV4", () => {
  it("accepts a request signed with a known credential", async () => {
    expect(verify(await signed(known))).toEqual({ credential: known });
  });

  it("accepts a request signed with a session credential", async () => {
    expect(verify(await signed(withSession))).toEqual({ credential: withSession });
  });

  it("accepts a path that needs escaping", async () => {
    expect(verify(await signed(known, { path: "/a b/c" }))).toEqual({ credential: known });
  });

  it.each<[string, (request: SignedRequest) => SignedRequest, string, string]>([
    [
      "a changed body",
      (r) => ({ ...r, body: Buffer.from('{"registryIds":["999999999999"]}') }),
      "InvalidSignatureException",
      "does not match",
    ],
    [
      "a changed signed header",
      (r) => ({
        ...r,
        headers: { ...r.headers, "x-amz-target": "AmazonEC2ContainerRegistry_V20150921.DeleteRepository" },
      }),
      "InvalidSignatureException",
      "does not match",
    ],
    ["a changed path", (r) => ({ ...r, url: "/other" }), "InvalidSignatureException", "does not match"],
    ["a changed method", (r) => ({ ...r, method: "PUT" }), "InvalidSignatureException", "does not match"],
    [
      "no Authorization header",
      (r) => ({ ...r, headers: { ...r.headers, authorization: undefined } }),
      "MissingAuthenticationTokenException",
      "Missing Authentication Token",
    ],
    [
      "an Authorization header in another scheme",
      (r) => ({ ...r, headers: { ...r.headers, authorization: "Basic dXNlcjpwYXNz" } }),
      "IncompleteSignatureException",
      "not a SigV4 signature",
    ],
  ])("rejects %s", async (_name, tamper, type, message) => {
    const result = verify(tamper(await signed(known)));
    expect(result).toMatchObject({ rejection: { status: expect.any(Number), type } });
    expect("rejection" in result && result.rejection.message).toContain(message);
  });

  it("rejects a signature made with the wrong secret key", async () => {
    const result = verify(await signed({ ...known, secretAccessKey: "not/the/registered/key" }));
    expect(result).toMatchObject({ rejection: { status: 403, type: "InvalidSignatureException" } });
  });

  it("rejects an unknown access key id", async () => {
    const result = verify(await signed({ accessKeyId: "AKIAUNKNOWN000000001", secretAccessKey: "x" }));
    expect(result).toMatchObject({ rejection: { status: 403, type: "UnrecognizedClientException" } });
  });

  it("rejects a session credential used without its session token", async () => {
    const { sessionToken: _dropped, ...withoutToken } = withSession;
    const result = verify(await signed(withoutToken));
    expect(result).toMatchObject({ rejection: { status: 403, type: "UnrecognizedClientException" } });
  });

  it("rejects a signature scoped to another region", async () => {
    const result = verify(await signed(known, { region: "us-east-1" }));
    expect(result).toMatchObject({
      rejection: {
        status: 403,
        type: "InvalidSignatureException",
        message: expect.stringContaining("valid region"),
      },
    });
  });

  it("rejects a signature scoped to another service", async () => {
    const result = verify(await signed(known, { service: "sts" }));
    expect(result).toMatchObject({
      rejection: {
        status: 403,
        type: "InvalidSignatureException",
        message: expect.stringContaining("'ecr'"),
      },
    });
  });

  it("rejects a request dated more than five minutes from the server's clock", async () => {
    const result = verify(await signed(known), new Date(Date.now() + 10 * 60_000));
    expect(result).toMatchObject({
      rejection: {
        status: 403,
        type: "InvalidSignatureException",
        message: expect.stringContaining("Signature expired"),
      },
    });
  });
});
