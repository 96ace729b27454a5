import type { FakeOidcIssuer } from "../google/oidc-issuer.js";
import { FakeSourceAccess } from "./fake-source-access.js";

/**
 * A FakeSourceAccess whose TokenRequest tokens are real JWTs signed by `issuer`, with the subject
 * kube-apiserver gives them (system:serviceaccount:<namespace>:<name>).
 */
export class FederatedSourceAccess extends FakeSourceAccess {
  constructor(
    private readonly issuer: FakeOidcIssuer,
    namespace = "tenant-a",
    ambientIdentityAllowed = true,
  ) {
    super(namespace, ambientIdentityAllowed);
  }

  override async requestServiceAccountToken(
    name: string,
    audience: string,
    seconds: number,
  ): Promise<string> {
    await super.requestServiceAccountToken(name, audience, seconds);
    return this.issuer.sign({ sub: `system:serviceaccount:${this.namespace}:${name}`, aud: audience });
  }
}
