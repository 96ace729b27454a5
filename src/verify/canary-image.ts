// The canary a verification HEADs: a repository and a tag or digest, in distribution's reference
// grammar, without the registry host.

/** A path component: lower-case letters and digits, separated by one `.` or `_`, `__`, or dashes. */
const pathComponent = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const repository = `${pathComponent}(?:/${pathComponent})*`;
const tag = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
/** The digest algorithms of the OCI image spec, each with its exact length of lower-case hex. */
const digest = "(?:sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})";

/**
 * `repository[:tag|@digest]`, anchored: the pattern the CRD's `verify.image` carries too.
 * @internal exported for its tests
 */
export const canaryImagePattern = `^${repository}(?::${tag}|@${digest})?$`;
const canaryImage = new RegExp(canaryImagePattern);

/** distribution's limit on a repository name. */
const maxRepositoryLength = 255;

export interface CanaryImage {
  repository: string;
  /** The tag (default `latest`) or digest, as the manifests path takes it. */
  reference: string;
}

/**
 * The repository and reference of `image` (e.g. `team/app:1`, `library/busybox@sha256:…`), or a
 * problem quoting it and saying what is expected: an image that breaks the grammar, whose
 * repository is longer than 255 characters, or that starts with the registry `host` itself.
 */
export function parseCanaryImage(image: string, host: string): CanaryImage | { problem: string } {
  const shown = JSON.stringify(image.length > 300 ? `${image.slice(0, 300)}…` : image);
  if (image.toLowerCase().startsWith(`${host.toLowerCase()}/`))
    return {
      problem: `canary image ${shown} starts with the registry host; name the repository without it (e.g. ${JSON.stringify(image.slice(host.length + 1))})`,
    };
  if (!canaryImage.test(image))
    return {
      problem: `canary image ${shown} is not repository[:tag|@digest] without the registry host (lower-case path components joined by /, e.g. team/app:1 or library/busybox@sha256:<64 hex digits>)`,
    };
  const at = image.indexOf("@");
  const colon = image.lastIndexOf(":");
  const [name, reference] =
    at >= 0
      ? [image.slice(0, at), image.slice(at + 1)]
      : colon >= 0
        ? [image.slice(0, colon), image.slice(colon + 1)]
        : [image, "latest"];
  if (name.length > maxRepositoryLength)
    return {
      problem: `canary image ${shown} names a repository of ${name.length} characters; registries accept at most ${maxRepositoryLength}`,
    };
  return { repository: name, reference };
}
