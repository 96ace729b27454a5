// A fake Amazon ECR on 127.0.0.1 speaking AWS JSON 1.1, for GetAuthorizationToken only. Requests
// must carry a valid SigV4 signature from a registered credential, scoped to the server's region.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { recordIssued } from "../../support/leaks/ledger.js";
import { readBody, sendError, sendJson } from "./aws-json.js";
import { accessKeyIdOf, type KnownCredential, verifySigV4 } from "./sigv4-verifier.js";

const target = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken";

/** How the server answers authenticated calls. */
export type FakeEcrBehaviour =
  | "normal"
  /** 500 ServerException. */
  | "server-error"
  /** 503 ServiceUnavailableException. */
  | "unavailable"
  /** 400 ThrottlingException. */
  | "throttle"
  /** 200 with an empty authorizationData list. */
  | "empty"
  /** 200 with an authorizationToken that is not base64 of "AWS:<password>". */
  | "garbage-token"
  /**
   * 400 with an error message that quotes every credential the fake knows: the caller's secret
   * access key and session token, and every token it issued. The worst a provider can do, so
   * that "never shows a token value" can fail.
   */
  | "echo-credentials";

export interface FakeEcrCredential extends KnownCredential {
  /** Account the caller belongs to; defaults to the server's account. */
  accountId?: string;
}

export class FakeEcrServer {
  private readonly server: Server;
  private readonly credentials = new Map<string, FakeEcrCredential>();
  private behaviour: FakeEcrBehaviour = "normal";
  private lifetimeMs = 12 * 3600_000;
  private fixedExpiry: Date | undefined;
  private callCount = 0;
  /** Access key ids named by every call, in order (also of rejected calls). */
  readonly accessKeyIds: string[] = [];
  /** The registryIds of every authenticated call (undefined when the caller sent none). */
  readonly registryIdRequests: (string[] | undefined)[] = [];
  /** Every authorizationToken and password issued, for leak checks. */
  readonly issuedSecrets: string[] = [];
  /** The passwords (the part after "AWS:") of the tokens issued so far, oldest first. */
  readonly issuedPasswords: string[] = [];
  /** When each issued password expires. */
  private readonly expiries = new Map<string, Date>();
  /** ECR's rate limit, when throttling is on: one token bucket per caller account (the region is the server's). */
  private limit: { perSecond: number; burst: number } | undefined;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private throttledCount = 0;
  /** When each authenticated call arrived (ms since the epoch), throttled ones included. */
  readonly callTimes: number[] = [];

  constructor(
    readonly region = "eu-west-1",
    readonly accountId = "123456789012",
  ) {
    this.server = createServer((request, response) => {
      void this.handle(request, response);
    });
  }

  /** The base URL to give the SDK as its endpoint. Valid after start(). */
  get endpoint(): string {
    const address = this.server.address() as AddressInfo | null;
    if (!address) throw new Error("FakeEcrServer is not started");
    return `http://127.0.0.1:${address.port}`;
  }

  /**
   * Whether ECR would accept this login now: user "AWS" with a password this fake issued whose
   * token has not expired. What a registry behind the fake ECR checks.
   */
  accepts(username: string, password: string, now = new Date()): boolean {
    const expiresAt = this.expiries.get(password);
    return username === "AWS" && expiresAt !== undefined && now < expiresAt;
  }

  /** Number of GetAuthorizationToken requests received, including rejected ones. */
  get calls(): number {
    return this.callCount;
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

  /**
   * Throttles as ECR does: each caller account may make `perSecond` authenticated calls per second
   * with a burst of `burst`; calls beyond answer 400 ThrottlingException and are counted in
   * `throttled`. Off by default.
   */
  throttleAbove(perSecond: number, burst: number): this {
    this.limit = { perSecond, burst };
    return this;
  }

  /** Authenticated calls answered with ThrottlingException by throttleAbove's limit. */
  get throttled(): number {
    return this.throttledCount;
  }

  /** Accepts requests signed with this credential (and its session token, when it has one). */
  registerCredentials(credential: FakeEcrCredential): this {
    this.credentials.set(credential.accessKeyId, credential);
    recordIssued("an AWS secret access key given to the fake ECR", credential.secretAccessKey);
    if (credential.sessionToken)
      recordIssued("an AWS session token given to the fake ECR", credential.sessionToken);
    return this;
  }

  behave(behaviour: FakeEcrBehaviour): this {
    this.behaviour = behaviour;
    return this;
  }

  /** Tokens expire this long after they are issued (default 12 hours); clears setExpiresAt. */
  setTokenLifetime(ms: number): this {
    this.lifetimeMs = ms;
    this.fixedExpiry = undefined;
    return this;
  }

  /** Every token reports this expiry, past or future. */
  setExpiresAt(date: Date): this {
    this.fixedExpiry = date;
    return this;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    if (request.method !== "POST" || request.headers["x-amz-target"] !== target) {
      return sendError(
        response,
        400,
        "UnknownOperationException",
        "only GetAuthorizationToken is implemented",
      );
    }
    this.callCount++;
    const accessKeyId = accessKeyIdOf(request.headers);
    if (accessKeyId) this.accessKeyIds.push(accessKeyId);
    const verified = verifySigV4(
      { method: request.method, url: request.url ?? "/", headers: request.headers, body },
      { region: this.region, service: "ecr", lookup: (id) => this.credentials.get(id) },
    );
    if ("rejection" in verified) {
      const { status, type, message } = verified.rejection;
      return sendError(response, status, type, message);
    }
    let input: { registryIds?: unknown };
    try {
      input = JSON.parse(body.toString("utf8") || "{}") as { registryIds?: unknown };
    } catch {
      return sendError(response, 400, "SerializationException", "request body is not JSON");
    }
    const registryIds = Array.isArray(input.registryIds) ? input.registryIds.map(String) : undefined;
    this.registryIdRequests.push(registryIds);
    const caller = this.credentials.get(verified.credential.accessKeyId)?.accountId ?? this.accountId;
    this.callTimes.push(Date.now());
    if (!this.withinLimit(caller)) {
      this.throttledCount++;
      return sendError(response, 400, "ThrottlingException", "Rate exceeded");
    }

    switch (this.behaviour) {
      case "echo-credentials": {
        const caller = this.credentials.get(verified.credential.accessKeyId);
        const token = request.headers["x-amz-security-token"];
        return sendError(
          response,
          400,
          "InvalidParameterException",
          `request signed with secret key ${caller?.secretAccessKey} and session token ${String(token ?? "-")} tried to replay the tokens ${this.issuedSecrets.join(", ")}`,
        );
      }
      case "server-error":
        return sendError(response, 500, "ServerException", "internal failure (injected)");
      case "unavailable":
        return sendError(response, 503, "ServiceUnavailableException", "service unavailable (injected)");
      case "throttle":
        return sendError(response, 400, "ThrottlingException", "Rate exceeded");
      case "empty":
        return sendJson(response, 200, { authorizationData: [] });
      default: {
        const accounts = registryIds?.length ? registryIds : [caller];
        return sendJson(response, 200, { authorizationData: accounts.map((account) => this.issue(account)) });
      }
    }
  }

  /** Takes a token from the caller account's bucket; false when it is empty (the call is throttled). */
  private withinLimit(account: string): boolean {
    if (!this.limit) return true;
    const now = Date.now();
    const bucket = this.buckets.get(account) ?? { tokens: this.limit.burst, at: now };
    bucket.tokens = Math.min(
      this.limit.burst,
      bucket.tokens + ((now - bucket.at) / 1000) * this.limit.perSecond,
    );
    bucket.at = now;
    this.buckets.set(account, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private issue(account: string): Record<string, unknown> {
    const password = randomBytes(48).toString("base64url");
    const token =
      this.behaviour === "garbage-token"
        ? Buffer.from(`no separator ${password}`).toString("base64")
        : Buffer.from(`AWS:${password}`).toString("base64");
    this.issuedSecrets.push(token, password);
    this.issuedPasswords.push(password);
    recordIssued("an ECR authorization token of the fake ECR", token);
    recordIssued("an ECR password of the fake ECR", password);
    const expiresAt = this.fixedExpiry ?? new Date(Date.now() + this.lifetimeMs);
    this.expiries.set(password, expiresAt);
    return {
      authorizationToken: token,
      expiresAt: expiresAt.getTime() / 1000,
      proxyEndpoint: `https://${account}.dkr.ecr.${this.region}.amazonaws.com`,
    };
  }
}
