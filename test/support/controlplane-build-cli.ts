// `npm run controlplane:build`: builds (or finds cached) the control plane binary and prints its path.
import { ensureControlPlaneBinary, kubernetesVersion } from "./controlplane/build.js";

try {
  const started = Date.now();
  const binary = await ensureControlPlaneBinary((line) => console.error(`[controlplane] ${line}`));
  console.error(
    `[controlplane] Kubernetes ${kubernetesVersion()} binary ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  console.log(binary);
} catch (error) {
  console.error(`[controlplane] ${(error as Error).message}`);
  process.exit(1);
}
