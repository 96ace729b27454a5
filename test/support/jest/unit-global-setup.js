import { register } from "tsx/esm/api";

register();
const { openLeakLedger } = await import("./leak-scan.ts");
export default async function unitGlobalSetup() {
  openLeakLedger();
}
