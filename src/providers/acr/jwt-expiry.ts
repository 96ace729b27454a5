// Reading a registry token's own lifetime.

/**
 * The `exp` claim of a JWT as a Date, or undefined when `token` is not a JWT (three base64url
 * parts) whose payload is a JSON object with a positive numeric `exp`. Reads only; verifies nothing:
 * the operator needs the lifetime of a token it was just handed, not proof of who signed it.
 */
export function jwtExpiry(token: string): Date | undefined {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts.every((part) => /^[A-Za-z0-9_-]+$/.test(part))) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[1] ?? "", "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof payload !== "object" || payload === null) return undefined;
  const exp = (payload as { exp?: unknown }).exp;
  if (typeof exp !== "number" || !Number.isFinite(exp) || exp <= 0) return undefined;
  const expiry = new Date(exp * 1000);
  return Number.isNaN(expiry.getTime()) ? undefined : expiry;
}
