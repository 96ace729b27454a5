// Jest loads reporters outside its transform pipeline; tsx lets it import the TypeScript source.
import { register } from "tsx/esm/api";

register();
const { LeakReporter } = await import("./leak-reporter.ts");
export default LeakReporter;
