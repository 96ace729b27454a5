// The logins of a .dockerconfigjson document, read the way the kubelet reads them.
import { usernameProblem } from "../basic/validate.js";
import { parseAuthKey } from "../registry-host.js";

/** One `auths` entry as a login, or why it cannot be one (the message quotes the key, never values). */
export type AuthEntry =
  | { key: string; host: string; username: string; password: string }
  | { key: string; host?: string; problem: string };

const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const isString = (value: unknown): value is string => typeof value === "string";

/**
 * The username and password of one entry: from `auth` (base64 of "username:password") when it is
 * set, as the kubelet does, else from `username` and `password`.
 */
function credentialsOf(
  entry: Record<string, unknown>,
  shown: string,
): { username: string; password: string } | string {
  if (entry.auth !== undefined && entry.auth !== "") {
    if (!isString(entry.auth) || !base64.test(entry.auth))
      return `the auths entry ${shown} has an auth field that is not base64`;
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon <= 0 || colon === decoded.length - 1)
      return `the auths entry ${shown} has an auth field that is not base64 of "<username>:<password>"`;
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  const { username, password } = entry;
  if (!isString(username) || !isString(password) || username === "" || password === "") {
    const tokenOnly = isString(entry.identitytoken) || isString(entry.registrytoken);
    return tokenOnly
      ? `the auths entry ${shown} holds only an identity or registry token, which the kubelet does not use; it needs a username and password`
      : `the auths entry ${shown} has no username and password (nor auth)`;
  }
  return { username, password };
}

function readEntry(key: string, value: unknown): AuthEntry {
  const shown = JSON.stringify(key);
  const parsed = parseAuthKey(key);
  if ("problem" in parsed) return { key, problem: parsed.problem };
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { key, host: parsed.host, problem: `the auths entry ${shown} is not an object` };
  const credentials = credentialsOf(value as Record<string, unknown>, shown);
  if (typeof credentials === "string") return { key, host: parsed.host, problem: credentials };
  const problem =
    usernameProblem(credentials.username, `the username of auths entry ${shown}`) ??
    (/\p{Cc}/u.test(credentials.password)
      ? `the password of auths entry ${shown} holds line breaks or control characters`
      : undefined);
  return problem ? { key, host: parsed.host, problem } : { key, host: parsed.host, ...credentials };
}

/**
 * Every entry of a .dockerconfigjson document's `auths`, or a message when the text is not such a
 * document (not JSON, or no `auths` object). The message never quotes the text.
 */
export function readAuths(text: string): AuthEntry[] | string {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return "is not JSON";
  }
  const auths = (document as { auths?: unknown } | null)?.auths;
  if (
    typeof document !== "object" ||
    document === null ||
    typeof auths !== "object" ||
    auths === null ||
    Array.isArray(auths)
  )
    return 'is not a dockerconfigjson document (a JSON object with an "auths" object)';
  return Object.entries(auths).map(([key, value]) => readEntry(key, value));
}
