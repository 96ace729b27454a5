const prefix = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const name = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Why `key` is not a valid label or annotation key ([prefix/]name), or undefined when it is. */
function metadataKeyProblem(key: string): string | undefined {
  const parts = key.split("/");
  if (parts.length > 2) return `"${key}" has more than one "/"`;
  const [head, tail] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (head !== undefined && (head.length > 253 || !prefix.test(head)))
    return `"${key}" has an invalid prefix (a DNS subdomain is required)`;
  if (!tail || tail.length > 63 || !name.test(tail)) {
    return `"${key}" has an invalid name (at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit)`;
  }
  return undefined;
}

/**
 * The most the extra annotations of spec.secret may add up to (keys and values, in bytes). The
 * apiserver refuses a Secret whose annotations exceed 256 KiB; this leaves room for the operator's
 * own and for annotations others add. The CRD's bounds (32 values of 4 KiB) keep within it; this
 * check covers an older CRD still installed.
 */
const maxExtraAnnotationBytes = 160 * 1024;

/** Problems with the extra labels and annotations of spec.secret, each naming the field. */
export function secretTemplateProblems(
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(labels)) {
    const problem = metadataKeyProblem(key);
    if (problem) problems.push(`spec.secret.labels: ${problem}`);
    if (!labelValue.test(labels[key] ?? ""))
      problems.push(`spec.secret.labels["${key}"]: the value is not a valid label value`);
  }
  for (const key of Object.keys(annotations)) {
    const problem = metadataKeyProblem(key);
    if (problem) problems.push(`spec.secret.annotations: ${problem}`);
  }
  const bytes = Object.entries(annotations).reduce(
    (sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value),
    0,
  );
  if (bytes > maxExtraAnnotationBytes)
    problems.push(
      `spec.secret.annotations: ${Math.ceil(bytes / 1024)} KiB in all is more than the ${maxExtraAnnotationBytes / 1024} KiB the operator allows (the apiserver refuses a Secret whose annotations exceed 256 KiB)`,
    );
  return problems;
}
