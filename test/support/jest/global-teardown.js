import { register } from "tsx/esm/api";

register();
const { globalTeardown } = await import("./stop-control-plane.ts");
export default globalTeardown;
