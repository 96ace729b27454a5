const prefix = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const name = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Why `key` is not a valid label or annotation key ([prefix/]name), or undefined when it is. */
export function metadataKeyProblem(key: string): string | undefined {
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
  return problems;
}
