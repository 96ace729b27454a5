import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { leakDirVariable } from "../leaks/ledger.js";
import { scanLeakDirectory } from "../leaks/scan.js";

/** Creates the run's leak ledger directory and hands it to the reporter and the test workers. */
export function openLeakLedger(): void {
  process.env[leakDirVariable] ||= mkdtempSync(join(tmpdir(), "regcred-leaks-"));
}

/**
 * Scans everything the run recorded as shown for every credential value recorded as issued, then
 * removes the ledger. Throws (failing the run) naming each leak by where it showed and what it
 * was, never by its value.
 */
export function scanLeakLedger(report: (line: string) => void): void {
  const root = process.env[leakDirVariable];
  if (!root) return;
  const { leaks, issued, shown } = scanLeakDirectory(root);
  rmSync(root, { recursive: true, force: true });
  const sources = [...new Set(shown.map((file) => file.replace(/^\d+-/, "").replace(/\.txt$/, "")))];
  report(
    `[leak scan] ${issued} credential values searched for in ${shown.length} recorded outputs from ${sources.length} sources: ${leaks.length} found`,
  );
  if (leaks.length > 0)
    throw new Error(
      `credential values were shown:\n${leaks.map((l) => `  ${l.what} (sha256 ${l.fingerprint}…) in ${l.shownIn}`).join("\n")}`,
    );
}
