// The last line of defence between remote text (cloud error bodies, apiserver and webhook messages)
// and every channel users read: status, events, logs. Credential values must never cross it.

/** Runs of characters that tokens and keys are made of (base64, base64url, JWT, hex, URL-encoding). */
const candidate = /[A-Za-z0-9+/=_.%-]{20,}/g;

/** Characters that split a run into pieces: base64 and base64url symbols, dots, URL-encoding. */
const separators = /[+/=_.%-]/;

/**
 * Whole shapes that look random in part but carry no secret, and are what someone debugging a
 * failure needs: UUIDs (request IDs, Kubernetes uids) and ARNs (whose role and session names are
 * chosen freely). They are set aside before runs are judged, and put back after.
 */
const protectedShapes = [
  /\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b/g,
  /\barn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:\d{0,12}:[A-Za-z0-9+=,.@_/:-]+/g,
];

/**
 * A camelCase or PascalCase compound of real-sized words: a leading lower-case word, capitalised
 * words of three letters or more (or `Id`), at most one acronym, short numbers.
 */
const compound =
  /^(?:[a-z]{2,}|[A-Z][a-z]{2,}|[A-Z]{2,5}(?=[A-Z][a-z]))(?:[A-Z][a-z]{2,}|Id|[0-9]{1,4})*(?:[A-Z]{2,5})?$/;
const compoundWords = /[A-Z]?[a-z]+|[A-Z]{2,5}(?![a-z])|[0-9]{1,4}/g;
/** A lower-case label of words, each followed by a short number: `northeast1`, `sha256`, `gke1234`. */
const label = /^(?:[a-z]{3,}[0-9]{0,4})+$/;

const averageLength = (piece: string, parts: RegExp) =>
  piece.length / (piece.match(parts)?.length ?? piece.length);
const lowerCaseShare = (piece: string) => (piece.match(/[a-z]/g)?.length ?? 0) / piece.length;
/** Written words of four letters or more have a vowel; a quarter of random ones have none. */
const spoken = (piece: string) => (piece.match(/[a-z]{4,}/g) ?? []).every((run) => /[aeiouy]/.test(run));

/**
 * Short pieces as words and names write them: `eu`, `v1`, `k8s`, `x509`, `S3`, `EC2`, `IDs`, `Id`,
 * `2xx`. Mixed-case fragments such as `lxN`, `hE2`, `8ZpL` are what random base64 is made of.
 */
const shortWord = /^(?:[a-z]+[0-9]*|[A-Z]+[0-9]*s?|[A-Z][a-z]+|[0-9]+[a-z]*|[a-z][0-9][a-z]+)$/;

/**
 * Whether one piece of a run (between separators) reads as a word, a name or a number rather than
 * key material: short words; lower-case words; numbers up to 19 digits; upper-case codes shorter
 * than 16 letters (ECONNREFUSED, UNAUTHENTICATED); lower-case labels of words and short numbers
 * (northeast1, sha256) and the generated suffixes of Kubernetes names (7d9f8b6c5d, x2k4q); camelCase and PascalCase compounds of real-sized words, mostly lower case
 * (GetAuthorizationToken, workloadIdentityPools). Random base64 of 20 characters or more, and
 * upper-case-and-digit key IDs, almost never pass.
 */
function wordlike(piece: string): boolean {
  if (piece.length <= 4) return piece === "" || shortWord.test(piece);
  if (/^[a-z]+$/.test(piece)) return true;
  if (/^[0-9]+$/.test(piece)) return piece.length <= 19;
  if (/^[A-Z]+$/.test(piece)) return piece.length < 16;
  if (/^[a-z0-9]+$/.test(piece))
    return (
      piece.length <= 10 ||
      (label.test(piece) && (piece.match(/[a-z]+/g) ?? []).every((run) => /[aeiouy]/.test(run)))
    );
  return (
    compound.test(piece) &&
    averageLength(piece, compoundWords) >= 4 &&
    lowerCaseShare(piece) >= 0.5 &&
    spoken(piece)
  );
}

/** A run survives only when every piece of it is wordlike: hosts, paths, error codes, names. */
function looksOpaque(run: string): boolean {
  return !run.split(separators).every(wordlike);
}

/**
 * Replaces every run that looks like key material (base64 and base64url tokens, JWTs, AWS access
 * key IDs and secret keys, session tokens, long hex) with "[REDACTED]". Hosts, URLs and paths,
 * ARNs, UUIDs, e-mail addresses, error codes and condition reasons, numbers and ordinary sentences
 * survive, so a message stays useful for debugging. Pure; never throws.
 */
export function redactSecrets(message: string): string {
  const kept: string[] = [];
  let text = message;
  for (const shape of protectedShapes) {
    text = text.replace(shape, (match) => {
      kept.push(match);
      return `\uE000${kept.length - 1}\uE001`;
    });
  }
  text = text.replace(candidate, (run) => (looksOpaque(run) ? "[REDACTED]" : run));
  return text.replace(/\uE000(\d+)\uE001/g, (_, index: string) => kept[Number(index)] ?? "");
}
