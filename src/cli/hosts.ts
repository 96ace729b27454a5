/** The registry host of an image reference: the first path component when it looks like a host, else docker.io. */
export function registryHostOf(image: string): string {
  const slash = image.indexOf("/");
  if (slash === -1) return "docker.io";
  const first = image.slice(0, slash);
  return first.includes(".") || first.includes(":") || first === "localhost"
    ? first.toLowerCase()
    : "docker.io";
}

const cloudRegistryPatterns: RegExp[] = [
  /^[0-9]{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/,
  /^[a-z0-9-]+-docker\.pkg\.dev$/,
  /^([a-z0-9-]+\.)?gcr\.io$/,
];

/** Whether the host is a cloud registry this operator mints logins for (ECR, Artifact Registry, gcr.io). */
export function isCloudRegistryHost(host: string): boolean {
  return cloudRegistryPatterns.some((pattern) => pattern.test(host));
}

/** A dockerconfig auths key reduced to its host: "https://gcr.io/v1/" → "gcr.io". */
export function normalizeAuthKey(key: string): string {
  return key
    .replace(/^[a-z]+:\/\//i, "")
    .replace(/\/.*$/, "")
    .toLowerCase();
}

/** Whether a dockerconfig auths key grants access to the host. */
export function authKeyCovers(key: string, host: string): boolean {
  return normalizeAuthKey(key) === host.toLowerCase();
}
