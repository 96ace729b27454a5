import { registryOf } from "../providers/registry-host.js";

/** The registry host of an image reference: the first path component when it looks like a host, else docker.io. */
export function registryHostOf(image: string): string {
  const slash = image.indexOf("/");
  if (slash === -1) return "docker.io";
  const first = image.slice(0, slash);
  return first.includes(".") || first.includes(":") || first === "localhost"
    ? first.toLowerCase()
    : "docker.io";
}

/** A dockerconfig auths key reduced to its host: "https://gcr.io/v1/" → "gcr.io". */
function normalizeAuthKey(key: string): string {
  return key
    .replace(/^[a-z]+:\/\//i, "")
    .replace(/\/.*$/, "")
    .toLowerCase();
}

/** Whether a dockerconfig auths key grants access to the host (Docker Hub's docker.io and index.docker.io are one). */
export function authKeyCovers(key: string, host: string): boolean {
  return registryOf(normalizeAuthKey(key)) === registryOf(host.toLowerCase());
}
