// Static registry credentials: a username and a password (or an access token used as one) read
// from a Secret, written for the registries the spec lists. Calls no registry.
import type { BasicSource } from "../../api/v1alpha1.js";
import { CredentialError } from "../errors.js";
import type { Provider, ReferencedSecret, RegistryToken, ResolvedSource, SourceAccess } from "../provider.js";
import { basicInfo } from "./info.js";
import { defaultBasicKeys, usernameProblem, validateBasicSource } from "./validate.js";

/**
 * The value of `key`, trimmed (a trailing newline from `echo` is common). Throws InvalidSpec,
 * naming the Secret and key but never the value, when the key is missing, empty or holds line
 * breaks or other control characters.
 */
function readValue(secret: ReferencedSecret, where: string, key: string): string {
  const raw = secret.data[key];
  if (raw === undefined) throw new CredentialError("InvalidSpec", `${where} has no key ${key}`, false);
  const value = raw.toString("utf8").trim();
  if (value === "") throw new CredentialError("InvalidSpec", `${where} key ${key} is empty`, false);
  if (/\p{Cc}/u.test(value))
    throw new CredentialError(
      "InvalidSpec",
      `${where} key ${key} holds line breaks or control characters, which a registry login cannot contain`,
      false,
    );
  return value;
}

/** The basic provider; it needs no clients. */
export function createBasicProvider(): Provider<BasicSource> {
  return {
    ...basicInfo,
    async resolve(spec: BasicSource, access: SourceAccess): Promise<ResolvedSource> {
      const problems = validateBasicSource(spec);
      if (problems.length > 0) throw new CredentialError("InvalidSpec", problems.join("; "), false);
      const ref = spec.secretRef;
      const secret = await access.readSecret(ref.name);
      const where = `Secret ${access.namespace}/${ref.name}`;
      const usernameKey = ref.usernameKey ?? defaultBasicKeys.username;
      const passwordKey = ref.passwordKey ?? defaultBasicKeys.password;
      const username = spec.username ?? readValue(secret, where, usernameKey);
      const problem = usernameProblem(
        username,
        spec.username === undefined ? `${where} key ${usernameKey}` : "username",
      );
      if (problem) throw new CredentialError("InvalidSpec", problem, false);
      const password = readValue(secret, where, passwordKey);
      const hosts = [...new Set(spec.registries)].sort();
      const user = spec.username === undefined ? `key:${usernameKey}` : `spec:${spec.username}`;
      return {
        identity: [
          "basic",
          hosts.join(","),
          `secret:${access.namespace}/${ref.name}@${secret.uid}:${secret.resourceVersion}`,
          `user=${user}`,
          `password=${passwordKey}`,
        ].join("|"),
        nonExpiring: true,
        async mint(): Promise<RegistryToken[]> {
          return hosts.map((host) => ({ host, username, password }));
        },
      };
    },
  };
}
