// OIDC discovery as a verifier does it: the issuer's openid-configuration, then its JWKS.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { JSONWebKeySet } from "jose";

/**
 * GETs a JSON document, trusting `ca` (PEM) for https and asking for `accept` (kube-apiserver
 * serves its JWKS only as application/jwk-set+json). Rejects on a non-200 answer or bad JSON.
 */
function getJson(url: string, ca?: string, accept = "application/json"): Promise<unknown> {
  const target = new URL(url);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(target, { method: "GET", headers: { accept }, ca }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        if (response.statusCode !== 200) {
          reject(new Error(`GET ${url} answered ${response.statusCode}`));
          return;
        }
        try {
          resolve(JSON.parse(text));
        } catch {
          reject(new Error(`GET ${url} answered with a body that is not JSON`));
        }
      });
      response.on("error", reject);
    });
    request.setTimeout(10_000, () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on("error", reject);
    request.end();
  });
}

/**
 * The signing keys of `issuer`: reads `${issuer}/.well-known/openid-configuration`, checks that its
 * `issuer` equals `issuer`, then reads its `jwks_uri`. Rejects when either step fails.
 */
export async function fetchIssuerKeys(issuer: string, ca?: string): Promise<JSONWebKeySet> {
  const discovery = (await getJson(`${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`, ca)) as {
    issuer?: unknown;
    jwks_uri?: unknown;
  };
  if (discovery.issuer !== issuer)
    throw new Error(`discovery document names issuer ${String(discovery.issuer)}`);
  if (typeof discovery.jwks_uri !== "string") throw new Error("discovery document has no jwks_uri");
  const jwks = (await getJson(
    discovery.jwks_uri,
    ca,
    "application/jwk-set+json, application/json",
  )) as JSONWebKeySet;
  if (!Array.isArray(jwks.keys)) throw new Error("JWKS has no keys");
  return jwks;
}
