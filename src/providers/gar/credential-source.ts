// Resolves a gar source's auth block to something that mints a Google access token on demand.
import type { GarSource } from "../../api/v1alpha1.js";
import { describeError } from "../../util/error-text.js";
import { CredentialError } from "../errors.js";
import type { SourceAccess } from "../provider.js";
import type { AccessToken } from "./access-token.js";
import { defaultCredentialsKey, readCredentialsJson } from "./credentials-json.js";
import { assertExternalAccountAllowed, parseExternalAccount } from "./external-account.js";
import type { GoogleClientFactories } from "./factories.js";
import type { CredentialOrigin } from "./identity.js";
import { jwtBearerGrant } from "./jwt-bearer.js";
import { parseServiceAccountKey } from "./service-account-key.js";
import { accessTokenFromClient } from "./token-client.js";

/** A credential whose references have been read: where it comes from and how to get a token. */
export interface BaseCredential {
  origin: CredentialOrigin;
  /**
   * A token of `scope` where the issuer lets the scope be chosen (the metadata server, a
   * service-account key's grant); a federated token from STS is always cloud-platform.
   */
  accessToken(scope: string, signal?: AbortSignal): Promise<AccessToken>;
}

const jwtTokenType = "urn:ietf:params:oauth:token-type:jwt";
const serviceAccountTokenSeconds = 3600;

function ambient(spec: GarSource, access: SourceAccess, factories: GoogleClientFactories): BaseCredential {
  if (!access.ambientIdentityAllowed)
    throw new CredentialError(
      "Forbidden",
      `the gar source has no auth block, so it would mint with the operator's own Google identity (Application Default Credentials), and the operator's policy does not allow ambient identity for namespace ${access.namespace}; set auth.secretRef or auth.serviceAccountRef`,
      false,
    );
  if (!spec.impersonate && !access.ambientAccessTokenAllowed)
    throw new CredentialError(
      "Forbidden",
      "the gar source has no auth block and no impersonate, so its Secrets would hold the operator's own Google access token, usable by anyone who can read them; set impersonate.serviceAccount to a dedicated service account that may only pull (roles/artifactregistry.reader), or start the operator with --allow-ambient-google-access-tokens",
      false,
    );
  return {
    origin: { kind: "ambient" },
    async accessToken(scope, signal) {
      const what = "the operator's Application Default Credentials";
      let client: Awaited<ReturnType<GoogleClientFactories["ambientClient"]>>;
      try {
        client = await factories.ambientClient(scope);
      } catch (error) {
        throw new CredentialError("ProviderError", `loading ${what} failed: ${describeError(error)}`);
      }
      return accessTokenFromClient(what, client, signal);
    },
  };
}

async function fromSecret(
  ref: NonNullable<NonNullable<GarSource["auth"]>["secretRef"]>,
  access: SourceAccess,
  factories: GoogleClientFactories,
): Promise<BaseCredential> {
  const secret = await access.readSecret(ref.name);
  const key = ref.key ?? defaultCredentialsKey;
  const where = `Secret ${access.namespace}/${ref.name} key "${key}"`;
  const origin: CredentialOrigin = {
    kind: "secret",
    namespace: access.namespace,
    name: ref.name,
    key,
    uid: secret.uid,
    resourceVersion: secret.resourceVersion,
  };
  const credentials = readCredentialsJson(secret, `Secret ${access.namespace}/${ref.name}`, key);
  if (credentials.type === "service_account") {
    const serviceAccountKey = parseServiceAccountKey(
      credentials.json,
      where,
      factories.endpoints.allowedTokenUris,
    );
    return {
      origin,
      accessToken: (scope, signal) => jwtBearerGrant(factories.fetch, serviceAccountKey, scope, signal),
    };
  }
  assertExternalAccountAllowed(where, access.ambientIdentityAllowed);
  const options = parseExternalAccount(credentials.json, where, factories.endpoints);
  try {
    await factories.externalAccountClient(options);
  } catch (error) {
    throw new CredentialError(
      "InvalidSpec",
      `${where} holds an external_account configuration google-auth-library rejects: ${describeError(error)}`,
    );
  }
  const what = `workload identity federation at ${factories.endpoints.stsTokenUrl} (external_account from ${where})`;
  return {
    origin,
    accessToken: async (_scope, signal) =>
      accessTokenFromClient(what, await factories.externalAccountClient(options), signal),
  };
}

async function fromServiceAccount(
  ref: NonNullable<NonNullable<GarSource["auth"]>["serviceAccountRef"]>,
  access: SourceAccess,
  factories: GoogleClientFactories,
): Promise<BaseCredential> {
  const account = await access.readServiceAccount(ref.name);
  const origin: CredentialOrigin = {
    kind: "serviceAccount",
    namespace: access.namespace,
    name: ref.name,
    uid: account.metadata?.uid ?? "",
    audience: ref.audience,
  };
  const what = `the Security Token Service ${factories.endpoints.stsTokenUrl} (exchanging a token of ServiceAccount ${access.namespace}/${ref.name})`;
  return {
    origin,
    async accessToken(_scope, signal) {
      const client = await factories.externalAccountClient({
        type: "external_account",
        audience: ref.audience,
        subject_token_type: jwtTokenType,
        token_url: factories.endpoints.stsTokenUrl,
        subject_token_supplier: {
          getSubjectToken: () => {
            signal?.throwIfAborted();
            return access.requestServiceAccountToken(ref.name, ref.audience, serviceAccountTokenSeconds);
          },
        },
      });
      return accessTokenFromClient(what, client, signal);
    },
  };
}

/**
 * Reads what the source's auth block references. Throws CredentialError: AuthSecretMissing for a
 * missing Secret or ServiceAccount (from `access`), InvalidSpec for a Secret without the key or
 * with unusable content, Forbidden for ambient identity (no auth block, or an external_account
 * configuration) where `access.ambientIdentityAllowed` is false, and for the operator's own token
 * without impersonation where `access.ambientAccessTokenAllowed` is false.
 */
export async function resolveBaseCredential(
  spec: GarSource,
  access: SourceAccess,
  factories: GoogleClientFactories,
): Promise<BaseCredential> {
  if (spec.auth?.secretRef) return fromSecret(spec.auth.secretRef, access, factories);
  if (spec.auth?.serviceAccountRef) return fromServiceAccount(spec.auth.serviceAccountRef, access, factories);
  return ambient(spec, access, factories);
}
