// Access tokens the fakes issued, so that one fake can check a token another issued, and tests can
// ask whom a minted token belongs to.
import { randomBytes } from "node:crypto";
import { recordIssued } from "../../support/leaks/ledger.js";

export interface IssuedToken {
  /** A service-account e-mail, or a federated principal://iam.googleapis.com/... identifier. */
  principal: string;
  scopes: string[];
  expiresAt: Date;
  /** Which fake issued it, e.g. "sts". */
  issuer: string;
}

export class TokenLedger {
  private readonly issued = new Map<string, IssuedToken>();

  /** A fresh opaque token shaped like Google's (ya29.…), valid for `lifetimeSeconds`. */
  issue(
    issuer: string,
    principal: string,
    scopes: string[],
    lifetimeSeconds: number,
  ): { token: string; expiresAt: Date } {
    const token = `ya29.${randomBytes(48).toString("base64url")}`;
    recordIssued(`a Google access token from the fake ${issuer}`, token);
    const expiresAt = new Date(Date.now() + lifetimeSeconds * 1000);
    this.issued.set(token, { principal, scopes, expiresAt, issuer });
    return { token, expiresAt };
  }

  /** The record of a token, or undefined when no fake issued it. */
  lookup(token: string): IssuedToken | undefined {
    return this.issued.get(token);
  }

  /** The record of a token that exists and has not expired. */
  valid(token: string): IssuedToken | undefined {
    const record = this.issued.get(token);
    return record && record.expiresAt.getTime() > Date.now() ? record : undefined;
  }

  /** Every token issued so far (for "never leaks" assertions). */
  tokens(): string[] {
    return [...this.issued.keys()];
  }
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = /^Bearer\s+(\S+)$/i.exec(value ?? "");
  return match?.[1];
}
