import { basename } from "node:path";
import { recordShown } from "../leaks/ledger.js";

interface ConsoleEntry {
  message: string;
}

interface TestFileResult {
  testFilePath: string;
  console?: ConsoleEntry[] | null;
  failureMessage?: string | null;
}

/**
 * A jest reporter that records each test file's output (what its tests logged, and its failure
 * messages) in the leak ledger, for the scan at the end of the run. Reports nothing itself.
 */
export class LeakReporter {
  onTestResult(_test: unknown, result: TestFileResult): void {
    const text = [...(result.console ?? []).map((entry) => entry.message), result.failureMessage ?? ""].join(
      "\n",
    );
    recordShown(`test-output-${basename(result.testFilePath)}`, text);
  }
}
