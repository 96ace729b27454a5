// The scan: every credential value recorded as issued, searched for in everything recorded as shown.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface IssuedValue {
  what: string;
  value: string;
}

export interface Leak {
  /** Where it was shown: the recorded file. */
  shownIn: string;
  /** What leaked, named as the fake named it (never the value). */
  what: string;
  /** The first characters of the value's SHA-256, to tell leaks apart without showing them. */
  fingerprint: string;
}

/** Values shorter than this are not searched for: too likely to occur in ordinary text. */
export const minimumSearchedLength = 12;
const window = 24;

/**
 * The pieces of a value to look for: the whole value when it is short, else windows at its start,
 * middle and end, so a value that was cut (an event's 1,024-character limit) or wrapped still shows.
 */
function needles(value: string): string[] {
  if (value.length <= window * 2) return [value];
  const middle = Math.floor(value.length / 2 - window / 2);
  return [value.slice(0, window), value.slice(middle, middle + window), value.slice(-window)];
}

function fingerprint(value: string): string {
  return createHash("sha256").update(value).digest("hex").slice(0, 12);
}

/** Every (shown file, issued value) pair where a piece of the value appears in the file. */
export function findLeaks(issued: readonly IssuedValue[], shown: ReadonlyMap<string, string>): Leak[] {
  const leaks: Leak[] = [];
  const searched = issued.filter((v) => v.value.length >= minimumSearchedLength);
  const unique = [...new Map(searched.map((v) => [v.value, v])).values()];
  for (const [file, text] of shown) {
    for (const { what, value } of unique) {
      if (needles(value).some((needle) => text.includes(needle)))
        leaks.push({ shownIn: file, what, fingerprint: fingerprint(value) });
    }
  }
  return leaks;
}

/** Reads the ledger directory (see ledger.ts) and scans it. A missing directory has nothing to scan. */
export function scanLeakDirectory(root: string): { leaks: Leak[]; issued: number; shown: string[] } {
  const read = (sub: string) => {
    const dir = join(root, sub);
    return existsSync(dir)
      ? readdirSync(dir).map((file) => [file, readFileSync(join(dir, file), "utf8")] as const)
      : [];
  };
  const issued = read("issued").flatMap(([, text]) =>
    text
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as IssuedValue),
  );
  const shown = new Map(read("shown"));
  return { leaks: findLeaks(issued, shown), issued: issued.length, shown: [...shown.keys()] };
}
