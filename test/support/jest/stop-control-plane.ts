/** Stops the control plane started by global-setup.ts. */
export async function globalTeardown(): Promise<void> {
  await globalThis.regcredControlPlane?.stop();
  globalThis.regcredControlPlane = undefined;
}
