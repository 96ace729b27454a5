import { registryOf } from "../providers/registry-host.js";

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
