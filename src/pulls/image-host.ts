/**
 * The registry host of an image reference as the kubelet's credential lookup keys it, lower-cased:
 * the first path component when it names a host (it holds a "." or a ":", or is "localhost"), else
 * Docker Hub. "busybox" and "library/x" → "docker.io"; "localhost:5000/x" → "localhost:5000";
 * "x.dkr.ecr.r.amazonaws.com/a:b" → that host. Pure.
 */
export function registryHostOf(image: string): string {
  const slash = image.indexOf("/");
  if (slash === -1) return "docker.io";
  const first = image.slice(0, slash);
  return first.includes(".") || first.includes(":") || first === "localhost"
    ? first.toLowerCase()
    : "docker.io";
}
