/**
 * The oldest Node major the CLI runs on: what package.json's engines field asks for.
 * @internal exported for its tests
 */
export const minimumNodeMajor = 24;

/**
 * The one line to print when `version` (process.versions.node) is too old to run the CLI, or
 * undefined when it is new enough. Older Nodes fail deep inside the HTTP client otherwise.
 */
export function unsupportedNode(version: string): string | undefined {
  const major = Number(version.split(".")[0]);
  if (Number.isInteger(major) && major >= minimumNodeMajor) return undefined;
  return `regcred needs Node.js ${minimumNodeMajor} or newer; this is Node.js ${version}. Install Node.js ${minimumNodeMajor} LTS.`;
}
