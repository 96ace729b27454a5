// The operator's own secret: it keys the digests in status and the signatures on managed Secrets,
// so that nothing a tenant writes (a Secret's data or its marks) can pass for the operator's work.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { CoreV1Api } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { isConflict, isNotFound } from "../kube/errors.js";
import { errorText } from "../util/error-text.js";

const dataKey = "key";
const keyBytes = 32;

/** What a digest authenticates; different purposes never share a digest. */
export type DigestPurpose = "logins" | "secret";

/**
 * An HMAC-SHA256 key only the operator can read. Digests are hex, over length-prefixed parts, so
 * ["ab", "c"] and ["a", "bc"] differ. Without the key nobody can compute a digest or test a guess
 * against one.
 */
export class OperatorKey {
  private constructor(
    private readonly key: Buffer,
    /** False for a key made up for this process only: digests written by others will not verify. */
    readonly persistent: boolean,
  ) {}

  static of(key: Buffer, persistent = true): OperatorKey {
    if (key.length < keyBytes) throw new Error(`an operator key needs at least ${keyBytes} bytes`);
    return new OperatorKey(Buffer.from(key), persistent);
  }

  /** A random key for this process only (tests, and a fallback when the stored key is unusable). */
  static ephemeral(): OperatorKey {
    return new OperatorKey(randomBytes(keyBytes), false);
  }

  digest(purpose: DigestPurpose, parts: readonly string[]): string {
    const hmac = createHmac("sha256", this.key).update(purpose);
    for (const part of parts) hmac.update(`\n${Buffer.byteLength(part)}:`).update(part);
    return hmac.digest("hex");
  }

  /** Whether `digest` is digest(purpose, parts), compared in constant time. */
  verify(purpose: DigestPurpose, parts: readonly string[], digest: string | undefined): boolean {
    if (typeof digest !== "string") return false;
    const expected = Buffer.from(this.digest(purpose, parts), "hex");
    const given = Buffer.from(digest, "hex");
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

function keyOf(data: Record<string, string> | undefined): Buffer | undefined {
  const encoded = data?.[dataKey];
  if (!encoded) return undefined;
  const key = Buffer.from(encoded, "base64");
  return key.length >= keyBytes ? key : undefined;
}

/**
 * Reads the operator key from Secret `namespace/name`, creating it with a random key when it does
 * not exist (two replicas racing resolve through 409 and a read). A Secret that exists but holds
 * no usable key is left alone and an ephemeral key is used, with an error logged: the operator
 * then recovers nothing it wrote before and mints instead, which is safe. Throws ApiException
 * when the Secret cannot be read or created.
 */
export async function loadOperatorKey(
  core: CoreV1Api,
  namespace: string,
  name: string,
  logger: Logger,
): Promise<OperatorKey> {
  const read = async () => {
    try {
      return await core.readNamespacedSecret({ namespace, name });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };
  let secret = await read();
  if (!secret) {
    try {
      secret = await core.createNamespacedSecret({
        namespace,
        body: {
          metadata: {
            name,
            labels: {
              "app.kubernetes.io/part-of": "registry-credential-operator",
              "app.kubernetes.io/component": "operator-key",
            },
          },
          type: "Opaque",
          data: { [dataKey]: randomBytes(keyBytes).toString("base64") },
        },
      });
      logger.info({ secret: `${namespace}/${name}` }, "created the operator key");
    } catch (error) {
      if (!isConflict(error)) throw error;
      secret = await read();
    }
  }
  const key = keyOf(secret?.data);
  if (key) return OperatorKey.of(key);
  logger.error(
    {
      secret: `${namespace}/${name}`,
      err: errorText(new Error(`no base64 key of ${keyBytes} bytes or more under "${dataKey}"`)),
    },
    "the operator key Secret is unusable; using a key for this process only, so tokens written before are minted again",
  );
  return OperatorKey.ephemeral();
}
