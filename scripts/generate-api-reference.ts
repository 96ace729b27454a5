// Generates docs/api-reference.md from the CRD manifests in deploy/crds/, so the reference cannot
// drift from the schema the apiserver enforces. scripts/generate-api.ts runs it (`npm run generate`).
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  loadYaml,
  type V1CustomResourceDefinition,
  type V1JSONSchemaProps,
  type V1ValidationRule,
} from "@kubernetes/client-node";

const repoRoot = fileURLToPath(new URL("../", import.meta.url));
export const crdDirectory = join(repoRoot, "deploy", "crds");
export const apiReferencePath = join(repoRoot, "docs", "api-reference.md");

/** The CRDs under deploy/crds/, in file-name order. */
export function readCrds(directory = crdDirectory): V1CustomResourceDefinition[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith(".yaml"))
    .sort()
    .map((file) => loadYaml<V1CustomResourceDefinition>(readFileSync(join(directory, file), "utf8")));
}

interface Row {
  path: string;
  type: string;
  required: boolean;
  defaultValue: string;
  validation: string[];
  description: string;
}

interface Rule {
  path: string;
  rule: string;
  message: string;
}

/** One line of text, safe inside a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\s+/g, " ").trim().replaceAll("|", "\\|");
}

function code(text: string): string {
  return `\`${cell(text)}\``;
}

// loadYaml deserialises the top of a schema into V1JSONSchemaProps (enum -> _enum,
// x-kubernetes-list-type -> x_kubernetes_list_type) but leaves `items` raw, so read both spellings.
function field<T>(schema: V1JSONSchemaProps, name: string): T | undefined {
  const raw = schema as Record<string, unknown>;
  const typed = name === "enum" || name === "default" ? `_${name}` : name.replaceAll("-", "_");
  return (raw[typed] ?? raw[name]) as T | undefined;
}

function typeOf(schema: V1JSONSchemaProps): string {
  const base = schema.type ?? (field(schema, "x-kubernetes-int-or-string") ? "int-or-string" : "any");
  if (base === "array" && schema.items) return `array of ${typeOf(schema.items as V1JSONSchemaProps)}`;
  if (base === "object" && schema.additionalProperties && typeof schema.additionalProperties === "object") {
    return `map of ${typeOf(schema.additionalProperties as V1JSONSchemaProps)}`;
  }
  return schema.format ? `${base} (${schema.format})` : base;
}

function validationOf(schema: V1JSONSchemaProps): string[] {
  const out: string[] = [];
  const values = field<unknown[]>(schema, "enum");
  if (values) out.push(`one of ${values.map((v) => code(String(v))).join(", ")}`);
  if (schema.pattern !== undefined) out.push(`pattern ${code(schema.pattern)}`);
  if (schema.minLength !== undefined) out.push(`minLength ${schema.minLength}`);
  if (schema.maxLength !== undefined) out.push(`maxLength ${schema.maxLength}`);
  if (schema.minimum !== undefined) out.push(`minimum ${schema.minimum}`);
  if (schema.maximum !== undefined) out.push(`maximum ${schema.maximum}`);
  if (schema.minItems !== undefined) out.push(`minItems ${schema.minItems}`);
  if (schema.maxItems !== undefined) out.push(`maxItems ${schema.maxItems}`);
  if (schema.maxProperties !== undefined) out.push(`maxProperties ${schema.maxProperties}`);
  const listType = field<string>(schema, "x-kubernetes-list-type");
  if (listType) out.push(`list-type ${listType}`);
  const mapKeys = field<string[]>(schema, "x-kubernetes-list-map-keys");
  if (mapKeys) out.push(`list-map-keys ${mapKeys.map((k) => code(k)).join(", ")}`);
  const mapType = field<string>(schema, "x-kubernetes-map-type");
  if (mapType) out.push(`map-type ${mapType}`);
  return out;
}

/** Depth-first, in schema order: every field below `schema`, and every CEL rule on the way. */
function walk(schema: V1JSONSchemaProps, path: string, required: boolean, rows: Row[], rules: Rule[]): void {
  if (path) {
    rows.push({
      path,
      type: typeOf(schema),
      required,
      defaultValue:
        field(schema, "default") === undefined ? "" : code(JSON.stringify(field(schema, "default"))),
      validation: validationOf(schema),
      description: schema.description ?? "",
    });
  }
  for (const v of field<V1ValidationRule[]>(schema, "x-kubernetes-validations") ?? []) {
    rules.push({ path: path || "(root)", rule: v.rule, message: v.message ?? "" });
  }
  const mandatory = new Set(schema.required ?? []);
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    walk(child, path ? `${path}.${name}` : name, mandatory.has(name), rows, rules);
  }
  if (schema.type === "array" && schema.items) {
    const items = schema.items as V1JSONSchemaProps;
    const nested = { ...items, description: undefined };
    // Items are described on the array row; walk into their fields and rules only.
    if (items.description && !rows.at(-1)?.description) (rows.at(-1) as Row).description = items.description;
    walkChildren(nested, `${path}[]`, rows, rules);
  }
  if (schema.additionalProperties && typeof schema.additionalProperties === "object") {
    walkChildren(schema.additionalProperties as V1JSONSchemaProps, `${path}.*`, rows, rules);
  }
}

function walkChildren(schema: V1JSONSchemaProps, path: string, rows: Row[], rules: Rule[]): void {
  for (const v of field<V1ValidationRule[]>(schema, "x-kubernetes-validations") ?? []) {
    rules.push({ path, rule: v.rule, message: v.message ?? "" });
  }
  const mandatory = new Set(schema.required ?? []);
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    walk(child, `${path}.${name}`, mandatory.has(name), rows, rules);
  }
  if (schema.type === "array" && schema.items) {
    walkChildren(schema.items as V1JSONSchemaProps, `${path}[]`, rows, rules);
  }
}

function table(header: string[], body: string[][]): string[] {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...body.map((r) => `| ${r.join(" | ")} |`),
  ];
}

/** The Markdown reference for the given CRDs (deterministic: schema order, no timestamps). */
export function generateApiReference(crds: V1CustomResourceDefinition[]): string {
  const lines: string[] = [
    "# API reference",
    "",
    "<!-- Generated from deploy/schema/ by scripts/generate-api.ts; do not edit. Run npm run generate. -->",
    "",
    "Group `regcred.dev`. Every field the apiserver accepts, with the validation it enforces. Fields not",
    "listed are pruned. Defaults marked in the descriptions but not in the Default column are applied by",
    "the operator, not the apiserver.",
    "",
  ];
  for (const crd of crds) {
    const { names, scope, group } = crd.spec;
    for (const version of crd.spec.versions) {
      const schema = version.schema?.openAPIV3Schema;
      if (!schema) continue;
      const rows: Row[] = [];
      const rules: Rule[] = [];
      walk(
        { ...schema, properties: pick(schema.properties ?? {}, ["spec", "status"]) },
        "",
        false,
        rows,
        rules,
      );
      lines.push(`## ${names.kind}`, "");
      lines.push(
        `\`${group}/${version.name}\`, ${scope === "Cluster" ? "cluster-scoped" : "namespaced"}. ` +
          `Plural \`${names.plural}\`${names.shortNames?.length ? `, short names ${names.shortNames.map((s) => `\`${s}\``).join(", ")}` : ""}.`,
        "",
      );
      if (schema.description) lines.push(cell(schema.description), "");
      lines.push("### Fields", "");
      lines.push(
        ...table(
          ["Field", "Type", "Required", "Default", "Validation", "Description"],
          rows.map((r) => [
            code(r.path),
            cell(r.type),
            r.required ? "yes" : "",
            r.defaultValue,
            r.validation.join("; "),
            cell(r.description),
          ]),
        ),
        "",
      );
      lines.push("### Validation rules (CEL)", "");
      lines.push(
        ...table(
          ["Field", "Rule", "Message"],
          rules.map((r) => [code(r.path), code(r.rule), cell(r.message)]),
        ),
        "",
      );
      lines.push("### Printer columns", "");
      lines.push(
        ...table(
          ["Name", "Type", "JSONPath"],
          (version.additionalPrinterColumns ?? []).map((c) => [cell(c.name), cell(c.type), code(c.jsonPath)]),
        ),
        "",
      );
    }
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

function pick<T>(record: Record<string, T>, keys: string[]): Record<string, T> {
  return Object.fromEntries(keys.filter((k) => k in record).map((k) => [k, record[k] as T]));
}

/** Biome's formatting of `text` as the file at `path` (Markdown, YAML, TypeScript), so it passes `biome check`. */
export function formatWithBiome(text: string, path = apiReferencePath): string {
  const biome = join(repoRoot, "node_modules", ".bin", "biome");
  const result = spawnSync(biome, ["format", `--stdin-file-path=${path}`], {
    cwd: repoRoot,
    input: text,
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`biome format failed: ${result.stderr}`);
  return result.stdout;
}
