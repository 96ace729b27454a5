import { register } from "tsx/esm/api";

register();
const { scanLeakLedger } = await import("./leak-scan.ts");
export default async function unitGlobalTeardown() {
  scanLeakLedger((line) => process.stderr.write(`${line}\n`));
}
