// Jest loads global setup through require(), outside its ESM pipeline; tsx lets it import the
// TypeScript sources (which use Node ESM ".js" specifiers) unchanged.
import { register } from "tsx/esm/api";

register();
const { globalSetup } = await import("./start-control-plane.ts");
export default globalSetup;
