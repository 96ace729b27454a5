// How often a random credential value of a given shape and size gets through redactSecrets whole
// enough to leak (a 16-character piece survives). Prints one line per shape; asserts nothing.
// Run: node_modules/.bin/tsx bench/redaction-miss-rate.ts [trials per shape, default 200000]
import { randomBytes, randomInt } from "node:crypto";
import { redactSecrets } from "../src/util/redact.js";

const trials = Number(process.argv[2] ?? 200_000);
const pick = (alphabet: string, n: number) =>
  Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join("");
const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

const shapes: [string, () => string][] = [
  ...[15, 16, 20, 24, 32, 45, 120, 900].map((n): [string, () => string] => [
    `std base64, ${n} bytes`,
    () => randomBytes(n).toString("base64"),
  ]),
  ...[16, 24, 32, 64].map((n): [string, () => string] => [
    `base64url, ${n} bytes`,
    () => randomBytes(n).toString("base64url"),
  ]),
  ["AWS secret access key (40 chars)", () => pick(`${upper}${upper.toLowerCase()}0123456789+/`, 40)],
  ["AWS access key ID", () => `AKIA${pick(`${upper}234567`, 16)}`],
  ["hex, 16 bytes", () => randomBytes(16).toString("hex")],
];

for (const [name, make] of shapes) {
  let leaked = 0;
  for (let i = 0; i < trials; i++) {
    const value = make();
    const out = redactSecrets(`upstream said: ${value} is not valid`);
    for (let j = 0; j + 16 <= value.length; j += 8)
      if (out.includes(value.slice(j, j + 16))) {
        leaked++;
        break;
      }
  }
  console.log(`${((leaked / trials) * 100).toFixed(4).padStart(8)} %  ${name}  (${leaked} of ${trials})`);
}
