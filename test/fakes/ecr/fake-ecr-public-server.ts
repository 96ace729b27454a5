// A fake Amazon ECR Public API on 127.0.0.1 speaking AWS JSON 1.1, for GetAuthorizationToken only
// (moto has no ecr-public). Like the real API, it answers only requests SigV4-signed for the
// signing name "ecr-public" in us-east-1 by a registered credential, and refuses identities that
// lack sts:GetServiceBearerToken. Its answer has no proxyEndpoint: the host is public.ecr.aws.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { recordIssued } from "../../support/leaks/ledger.js";
import { readBody, sendError, sendJson } from "./aws-json.js";
import { type KnownCredential, verifySigV4 } from "./sigv4-verifier.js";

const target = "SpencerFrontendService.GetAuthorizationToken";
const signingName = "ecr-public";
const apiRegion = "us-east-1";

/** How the server answers authenticated calls. */
export type FakeEcrPublicBehaviour =
  | "normal"
  /** 500 ServerException. */
  | "server-error"
  /** 200 without authorizationData. */
  | "empty"
  /** 200 with an authorizationToken that is not base64 of "AWS:<password>". */
  | "garbage-token";

export interface FakeEcrPublicCredential extends KnownCredential {
  /** Whether the identity's policy allows sts:GetServiceBearerToken (default true). */
  bearerTokenAllowed?: boolean;
}

export class FakeEcrPublicServer {
  private readonly server: Server;
  private readonly credentials = new Map<string, FakeEcrPublicCredential>();
  private behaviour: FakeEcrPublicBehaviour = "normal";
  private readonly lifetimeMs = 12 * 3600_000;
  /** Requests received, including rejected ones. */
  calls = 0;
  /** Every authorizationToken and password issued, for leak checks. */
  readonly issuedSecrets: string[] = [];
  /** When each issued password expires. */
  private readonly expiries = new Map<string, Date>();

  constructor() {
    this.server = createServer((request, response) => {
      void this.handle(request, response);
    });
  }

  /** The base URL to give the SDK as its endpoint. Valid after start(). */
  get endpoint(): string {
    const address = this.server.address() as AddressInfo | null;
    if (!address) throw new Error("FakeEcrPublicServer is not started");
    return `http://127.0.0.1:${address.port}`;
  }

  /** Whether public.ecr.aws would accept this login now: user "AWS" with an unexpired password this fake issued. */
  accepts(username: string, password: string, now = new Date()): boolean {
    const expiresAt = this.expiries.get(password);
    return username === "AWS" && expiresAt !== undefined && now < expiresAt;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => resolve());
    });
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Accepts requests signed with this credential (and its session token, when it has one). */
  registerCredentials(credential: FakeEcrPublicCredential): this {
    this.credentials.set(credential.accessKeyId, credential);
    recordIssued("an AWS secret access key given to the fake ECR Public", credential.secretAccessKey);
    if (credential.sessionToken)
      recordIssued("an AWS session token given to the fake ECR Public", credential.sessionToken);
    return this;
  }

  behave(behaviour: FakeEcrPublicBehaviour): this {
    this.behaviour = behaviour;
    return this;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    if (request.method !== "POST" || request.headers["x-amz-target"] !== target) {
      return sendError(
        response,
        400,
        "UnknownOperationException",
        "only SpencerFrontendService.GetAuthorizationToken is implemented",
      );
    }
    this.calls++;
    if (request.headers["content-type"] !== "application/x-amz-json-1.1") {
      return sendError(response, 400, "SerializationException", "expected application/x-amz-json-1.1");
    }
    const verified = verifySigV4(
      { method: request.method, url: request.url ?? "/", headers: request.headers, body },
      { region: apiRegion, service: signingName, lookup: (id) => this.credentials.get(id) },
    );
    if ("rejection" in verified) {
      const { status, type, message } = verified.rejection;
      return sendError(response, status, type, message);
    }
    if ((verified.credential as FakeEcrPublicCredential).bearerTokenAllowed === false) {
      return sendError(
        response,
        400,
        "AccessDeniedException",
        "User: arn:aws:iam::123456789012:user/puller is not authorized to perform: sts:GetServiceBearerToken on resource: *",
      );
    }
    switch (this.behaviour) {
      case "server-error":
        return sendError(response, 500, "ServerException", "internal failure (injected)");
      case "empty":
        return sendJson(response, 200, {});
      default:
        return sendJson(response, 200, { authorizationData: this.issue() });
    }
  }

  private issue(): Record<string, unknown> {
    const password = randomBytes(48).toString("base64url");
    const token =
      this.behaviour === "garbage-token"
        ? Buffer.from(`no separator ${password}`).toString("base64")
        : Buffer.from(`AWS:${password}`).toString("base64");
    this.issuedSecrets.push(token, password);
    recordIssued("an ECR Public authorization token of the fake ECR Public", token);
    recordIssued("an ECR Public password of the fake ECR Public", password);
    const expiresAt = new Date(Date.now() + this.lifetimeMs);
    this.expiries.set(password, expiresAt);
    return { authorizationToken: token, expiresAt: expiresAt.getTime() / 1000 };
  }
}
