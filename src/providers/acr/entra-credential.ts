// Resolves an acr source's auth block to an @azure/identity credential.
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { AcrSource, AzureSecretReference, AzureServiceAccountReference } from "../../api/v1alpha1.js";
import { CredentialError } from "../errors.js";
import type { SourceAccess } from "../provider.js";
import type { AzureClientFactories } from "./factories.js";
import type { EntraOrigin } from "./identity.js";

/** A credential whose references have been read. */
export interface EntraCredential {
  origin: EntraOrigin;
  /** The tenant sent with the registry exchange, when known. */
  tenantId: string | undefined;
  /** Who asks Entra, for messages: "application <id> in tenant <id>". */
  description: string;
  /**
   * An Entra access token for `scope`. Throws the CredentialError of a failed TokenRequest as it
   * is (Forbidden, AuthSecretMissing), anything else from @azure/identity unchanged.
   */
  getToken(scope: string, signal?: AbortSignal): Promise<string>;
  /** Key material this credential holds or last used (a client assertion), to scrub from messages. */
  held(): readonly string[];
}

/** The azure-workload-identity annotations a ServiceAccount names its Entra application with. */
const workloadIdentityAnnotations = {
  clientId: "azure.workload.identity/client-id",
  tenantId: "azure.workload.identity/tenant-id",
} as const;

const defaultFederationAudience = "api://AzureADTokenExchange";
const guid = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const defaultSecretKeys = {
  clientSecret: "AZURE_CLIENT_SECRET",
  certificate: "AZURE_CLIENT_CERTIFICATE",
} as const;
const serviceAccountTokenSeconds = 3600;

function invalid(message: string): CredentialError {
  return new CredentialError("InvalidSpec", message, false);
}

async function tokenOf(
  credential: Awaited<ReturnType<AzureClientFactories["ambient"]>>,
  scope: string,
  signal?: AbortSignal,
): Promise<string> {
  const token = await credential.getToken(scope, signal ? { abortSignal: signal } : {});
  if (!token?.token) throw new CredentialError("ProviderError", "Entra answered without an access token");
  return token.token;
}

async function ambient(access: SourceAccess, factories: AzureClientFactories): Promise<EntraCredential> {
  if (!access.ambientIdentityAllowed)
    throw new CredentialError(
      "Forbidden",
      `the acr source has no auth block, so it would log in with the operator's own Azure identity (workload or managed identity), and the operator's policy does not allow ambient identity for namespace ${access.namespace}; set auth.serviceAccountRef or auth.secretRef`,
      false,
    );
  const credential = await constructed(() => factories.ambient());
  return {
    origin: { kind: "ambient" },
    tenantId: factories.defaultTenantId,
    description: "the operator's own Azure identity",
    getToken: (scope, signal) => tokenOf(credential, scope, signal),
    held: () => [],
  };
}

/** An identifier read from an annotation, which anyone who may edit the ServiceAccount controls. */
function annotatedGuid(value: string | undefined, where: string, annotation: string): string | undefined {
  if (value === undefined || guid.test(value)) return value;
  throw invalid(`${where} has an ${annotation} annotation that is not a GUID`);
}

async function fromServiceAccount(
  ref: AzureServiceAccountReference,
  access: SourceAccess,
  factories: AzureClientFactories,
): Promise<EntraCredential> {
  const account = await access.readServiceAccount(ref.name);
  const where = `ServiceAccount ${access.namespace}/${ref.name}`;
  const annotations = account.metadata?.annotations ?? {};
  const clientId =
    ref.clientId ??
    annotatedGuid(
      annotations[workloadIdentityAnnotations.clientId],
      where,
      workloadIdentityAnnotations.clientId,
    );
  const tenantId =
    ref.tenantId ??
    annotatedGuid(
      annotations[workloadIdentityAnnotations.tenantId],
      where,
      workloadIdentityAnnotations.tenantId,
    ) ??
    factories.defaultTenantId;
  if (!clientId)
    throw invalid(
      `auth.serviceAccountRef sets no clientId and ${where} has no ${workloadIdentityAnnotations.clientId} annotation; name the Entra application (or user-assigned managed identity) that holds the federated credential`,
    );
  if (!tenantId)
    throw invalid(
      `auth.serviceAccountRef sets no tenantId, ${where} has no ${workloadIdentityAnnotations.tenantId} annotation and the operator has no default tenant (its AZURE_TENANT_ID); name the directory (tenant) ID`,
    );
  const audience = ref.audience ?? defaultFederationAudience;
  // The TokenRequest runs before Entra is asked, so that its CredentialError (Forbidden, a
  // ServiceAccount deleted since) reaches status as it is; @azure/identity would wrap it. MSAL may
  // ask for the assertion more than once per token: each time it gets the one just requested.
  let assertion = "";
  const credential = await constructed(() =>
    factories.clientAssertion(tenantId, clientId, async () => assertion),
  );
  return {
    origin: {
      kind: "serviceAccount",
      namespace: access.namespace,
      name: ref.name,
      uid: account.metadata?.uid ?? "",
      tenantId,
      clientId,
      audience,
    },
    tenantId,
    description: `application ${clientId} in tenant ${tenantId} (federated token of ${where})`,
    async getToken(scope, signal) {
      assertion = await access.requestServiceAccountToken(ref.name, audience, serviceAccountTokenSeconds);
      signal?.throwIfAborted();
      return tokenOf(credential, scope, signal);
    },
    held: () => (assertion ? [assertion] : []),
  };
}

/** A credential from a factory; a constructor's refusal (a malformed ID) is InvalidSpec. */
async function constructed<T>(make: () => Promise<T>): Promise<T> {
  try {
    return await make();
  } catch (error) {
    throw invalid(
      `@azure/identity refused the identity: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

const pemCertificates = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const pemPrivateKey = /-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END \1PRIVATE KEY-----/;

/**
 * The key and the certificate it belongs to, as one PEM, key first (MSAL signs with the first
 * block). Throws InvalidSpec unless `pem` holds an unencrypted RSA private key (MSAL signs client
 * assertions with RS256 or PS256) and a certificate of that key.
 */
function keyAndCertificate(pem: string, where: string): string {
  const match = pemPrivateKey.exec(pem);
  if (match?.[1] === "ENCRYPTED ")
    throw invalid(
      `${where} holds an encrypted private key; store the key unencrypted beside the certificate`,
    );
  let key: ReturnType<typeof createPrivateKey>;
  try {
    if (!match) throw new Error("no key");
    key = createPrivateKey(match[0]);
  } catch {
    throw invalid(`${where} holds no unencrypted PEM private key beside the certificate`);
  }
  if (key.asymmetricKeyType !== "rsa")
    throw invalid(
      `${where} holds a ${key.asymmetricKeyType ?? "non-RSA"} key; Entra certificate credentials need an RSA key`,
    );
  const certificates = (pem.match(pemCertificates) ?? []).flatMap((text) => {
    try {
      return [{ text, certificate: new X509Certificate(text) }];
    } catch {
      return [];
    }
  });
  if (certificates.length === 0) throw invalid(`${where} does not hold a PEM certificate`);
  const own = certificates.find(({ certificate }) => certificate.checkPrivateKey(key));
  if (!own) throw invalid(`${where} holds no certificate of its private key`);
  return `${match?.[0] ?? ""}\n${own.text}\n`;
}

async function fromSecret(
  ref: AzureSecretReference,
  access: SourceAccess,
  factories: AzureClientFactories,
): Promise<EntraCredential> {
  const secret = await access.readSecret(ref.name);
  const name = `Secret ${access.namespace}/${ref.name}`;
  const secretKey = ref.clientSecretKey ?? defaultSecretKeys.clientSecret;
  const certificateKey = ref.certificateKey ?? defaultSecretKeys.certificate;
  const clientSecret = secret.data[secretKey]?.toString("utf8").trim();
  const certificate = secret.data[certificateKey]?.toString("utf8").trim();
  if (clientSecret && certificate)
    throw invalid(
      `${name} holds both a client secret (key "${secretKey}") and a certificate (key "${certificateKey}"); keep one, or name the one to use with clientSecretKey or certificateKey`,
    );
  if (!clientSecret && !certificate)
    throw invalid(
      `${name} holds neither a client secret under key "${secretKey}" nor a certificate under key "${certificateKey}"`,
    );
  const key = clientSecret ? secretKey : certificateKey;
  const origin: EntraOrigin = {
    kind: "secret",
    namespace: access.namespace,
    name: ref.name,
    uid: secret.uid,
    resourceVersion: secret.resourceVersion,
    tenantId: ref.tenantId,
    clientId: ref.clientId,
    key,
  };
  const description = `application ${ref.clientId} in tenant ${ref.tenantId}`;
  if (clientSecret) {
    const credential = await constructed(() =>
      factories.clientSecret(ref.tenantId, ref.clientId, clientSecret),
    );
    return {
      origin,
      tenantId: ref.tenantId,
      description: `${description} (client secret from ${name})`,
      getToken: (scope, signal) => tokenOf(credential, scope, signal),
      held: () => [clientSecret],
    };
  }
  const pem = keyAndCertificate(certificate ?? "", `${name} key "${certificateKey}"`);
  const credential = await constructed(() => factories.clientCertificate(ref.tenantId, ref.clientId, pem));
  return {
    origin,
    tenantId: ref.tenantId,
    description: `${description} (certificate from ${name})`,
    getToken: (scope, signal) => tokenOf(credential, scope, signal),
    held: () => [pem],
  };
}

/**
 * Reads what the source's auth block references. Throws CredentialError: AuthSecretMissing for a
 * missing Secret or ServiceAccount (from `access`), InvalidSpec for a Secret without a usable
 * secret or certificate or a ServiceAccount without client or tenant ID, Forbidden for ambient
 * identity where `access.ambientIdentityAllowed` is false.
 */
export async function resolveEntraCredential(
  spec: AcrSource,
  access: SourceAccess,
  factories: AzureClientFactories,
): Promise<EntraCredential> {
  if (spec.auth?.serviceAccountRef) return fromServiceAccount(spec.auth.serviceAccountRef, access, factories);
  if (spec.auth?.secretRef) return fromSecret(spec.auth.secretRef, access, factories);
  return ambient(access, factories);
}
