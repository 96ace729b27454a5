// Generates everything derived from the CRD templates in deploy/schema/: the CRDs in deploy/crds/,
// the chart's identical copy in charts/registry-credential-operator/crds/, the API types in
// src/api/generated/v1alpha1.ts and docs/api-reference.md. `npm run generate` writes them;
// `npm run generate -- --check` writes nothing and fails, naming the files, when any is stale.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadYaml as loadCrd, type V1CustomResourceDefinition } from "@kubernetes/client-node";
import * as yaml from "js-yaml";
import { compile, type JSONSchema } from "json-schema-to-typescript";
import { formatWithBiome, generateApiReference } from "./generate-api-reference.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const schemaDir = join(root, "deploy", "schema");
export const generatedTypesPath = join(root, "src", "api", "generated", "v1alpha1.ts");

type Scope = "Namespaced" | "Cluster";
type Node = unknown;
const omitted = Symbol("omitted");

function loadYaml(path: string): Node {
  return yaml.load(readFileSync(path, "utf8"));
}

const isObject = (node: Node): node is Record<string, Node> =>
  typeof node === "object" && node !== null && !Array.isArray(node);

/**
 * The template with every `$include: file#key` (a path in deploy/schema/) replaced by that fragment
 * and every `$scoped` by its value for `scope` (omitted when the scope has none, also from arrays);
 * `x-one-of-properties: <message>` becomes the CEL rule that exactly one of the node's properties is
 * set, leaving out those `x-one-of-except` lists (fields that go with whichever one is set).
 * `x-ts-type` is kept when `keepTypeNames`. Throws on a malformed template: extra keys beside a
 * directive, an unknown fragment, a required field without a schema in this scope.
 */
function resolve(node: Node, scope: Scope, keepTypeNames: boolean, depth = 0): Node | typeof omitted {
  if (depth > 64) throw new Error("deploy/schema: nesting deeper than 64 levels (an $include cycle?)");
  const next = (child: Node) => resolve(child, scope, keepTypeNames, depth + 1);
  if (Array.isArray(node)) return node.map(next).filter((item) => item !== omitted);
  if (!isObject(node)) return node;
  if ("$include" in node) {
    if (Object.keys(node).length !== 1) throw new Error(`$include ${node.$include}: takes no other keys`);
    const [file, key] = String(node.$include).split("#") as [string, string | undefined];
    const fragment = loadYaml(join(schemaDir, file));
    const picked = key === undefined ? fragment : (fragment as Record<string, Node>)[key];
    if (picked === undefined) throw new Error(`$include ${node.$include}: no such fragment`);
    return next(picked);
  }
  if ("$scoped" in node) {
    if (Object.keys(node).length !== 1) throw new Error("$scoped takes no other keys");
    const choices = node.$scoped as Partial<Record<Scope, Node>>;
    return scope in choices ? next(choices[scope]) : omitted;
  }
  const out: Record<string, Node> = {};
  for (const [key, value] of Object.entries(node)) {
    if ((key === "x-ts-type" && !keepTypeNames) || key === "x-one-of-properties" || key === "x-one-of-except")
      continue;
    const resolved = next(value);
    if (resolved !== omitted) out[key] = resolved;
  }
  const properties = (out.properties ?? {}) as Record<string, Node>;
  for (const name of (out.required as string[] | undefined) ?? [])
    if (out.properties && !(name in properties))
      throw new Error(`deploy/schema: "${name}" is required but has no schema in the ${scope} CRD`);
  if (typeof node["x-one-of-properties"] === "string") {
    const except = (node["x-one-of-except"] as string[] | undefined) ?? [];
    for (const name of except)
      if (!(name in properties)) throw new Error(`x-one-of-except: "${name}" is not a property of the node`);
    out["x-kubernetes-validations"] = [
      ...((out["x-kubernetes-validations"] as Node[] | undefined) ?? []),
      exactlyOneRule(
        Object.keys(properties).filter((name) => !except.includes(name)),
        node["x-one-of-properties"],
      ),
    ];
  }
  return out;
}

/** The CEL rule that exactly one of `names` is set, with "<prefix> (a, b or c)" as its message. */
function exactlyOneRule(names: string[], prefix: string): Node {
  if (names.length === 0) throw new Error("x-one-of-properties on a node without properties");
  for (const name of names)
    if (!/^[a-z][a-zA-Z0-9]*$/.test(name))
      throw new Error(`x-one-of-properties: "${name}" is not a CEL identifier`);
  const list = names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : names[0];
  return {
    rule: `[${names.map((name) => `has(self.${name})`).join(", ")}].filter(x, x).size() == 1`,
    message: `${prefix} (${list})`,
  };
}

interface Template {
  file: string;
  crd: Record<string, Node>;
  scope: Scope;
  name: string;
}

function templates(): Template[] {
  return readdirSync(schemaDir)
    .filter((file) => file.endsWith(".yaml"))
    .sort()
    .map((file) => {
      const crd = loadYaml(join(schemaDir, file)) as Record<string, Node> & {
        metadata: { name: string };
        spec: { scope: Scope };
      };
      return { file, crd, scope: crd.spec.scope, name: crd.metadata.name };
    });
}

const crdHeader =
  "# Generated by scripts/generate-api.ts from deploy/schema/; edit the template there, then run npm run generate.\n";

function crdText(template: Template): string {
  return (
    crdHeader + yaml.dump(resolve(template.crd, template.scope, false), { lineWidth: 120, noRefs: true })
  );
}

/**
 * One JSON Schema whose definitions are every node the templates name with x-ts-type, each
 * replaced by a $ref. A name used by both CRDs takes the ClusterRegistryCredential's shape,
 * which is the other's plus the fields only cluster-scoped references have.
 */
function typesSchema(all: Template[]): JSONSchema {
  const definitions: Record<string, JSONSchema> = {};
  const named = (node: Node, scope: Scope): Node => {
    if (Array.isArray(node)) return node.map((item) => named(item, scope));
    if (!isObject(node)) return node;
    const out: Record<string, Node> = {};
    for (const [key, value] of Object.entries(node)) if (key !== "x-ts-type") out[key] = named(value, scope);
    const name = node["x-ts-type"];
    if (typeof name !== "string") return out;
    const known = definitions[name];
    if (known) {
      // One name, one type: the other scope's shape may only lack fields (cluster-only ones).
      const fields = (schema: unknown) => Object.keys((schema as { properties?: object }).properties ?? {});
      const [narrow, wide] =
        scope === "Cluster" ? [fields(known), fields(out)] : [fields(out), fields(known)];
      if (narrow.some((field) => !wide.includes(field)))
        throw new Error(`x-ts-type ${name}: the two CRDs give it different fields`);
    }
    if (!known || scope === "Cluster") definitions[name] = { ...out, title: name } as JSONSchema;
    return { $ref: `#/definitions/${name}` };
  };
  const ordered = [...all].sort((a, b) => (a.scope === b.scope ? 0 : a.scope === "Cluster" ? 1 : -1));
  for (const template of ordered) {
    const crd = resolve(template.crd, template.scope, true) as {
      spec: { versions: { schema: { openAPIV3Schema: { properties: Record<string, Node> } } }[] };
    };
    const { spec, status } = crd.spec.versions[0]?.schema.openAPIV3Schema.properties ?? {};
    named(spec, template.scope);
    named(status, template.scope);
  }
  return {
    title: "RegcredV1alpha1",
    type: "object",
    properties: {},
    definitions,
    additionalProperties: false,
  };
}

async function typesText(all: Template[]): Promise<string> {
  const text = await compile(typesSchema(all), "RegcredV1alpha1", {
    bannerComment:
      "// Generated by scripts/generate-api.ts from the CRD templates in deploy/schema/; do not edit.\n// The spec and status shapes of the regcred.dev/v1alpha1 API, as the apiserver validates them.",
    additionalProperties: false,
    ignoreMinAndMaxItems: true,
    unreachableDefinitions: true,
    declareExternallyReferenced: true,
    style: { printWidth: 110 },
  });
  // The root type is empty (every type worth having is a definition), and so is the note on where each came from.
  const tidy = text
    .replace(/export interface RegcredV1Alpha1 \{\}\n/, "")
    .replace(
      /\n \*\n \* This (interface|type) was referenced by `RegcredV1Alpha1`'s JSON-Schema\n \* via the `definition` "\w+"\./g,
      "",
    )
    .replace(
      /\/\*\*\n \* This (interface|type) was referenced by `RegcredV1Alpha1`'s JSON-Schema\n \* via the `definition` "\w+"\.\n \*\/\n/g,
      "",
    );
  return `${tidy.trimEnd()}\n`;
}

/** Every generated file and the content it should have. */
export async function generatedFiles(): Promise<Map<string, string>> {
  const all = templates();
  const files = new Map<string, string>();
  for (const template of all) {
    const name = `regcred.dev_${template.file}`;
    const path = join(root, "deploy", "crds", name);
    const text = formatWithBiome(crdText(template), path);
    files.set(path, text);
    files.set(join(root, "charts", "registry-credential-operator", "crds", name), text);
  }
  files.set(generatedTypesPath, formatWithBiome(await typesText(all), generatedTypesPath));
  const crds = all.map((t) => loadCrd<V1CustomResourceDefinition>(crdText(t)));
  files.set(join(root, "docs", "api-reference.md"), formatWithBiome(generateApiReference(crds)));
  return files;
}

/** The generated files whose content on disk differs from what the templates produce. */
export async function staleFiles(): Promise<string[]> {
  const stale: string[] = [];
  for (const [path, text] of await generatedFiles()) {
    let current: string | undefined;
    try {
      current = readFileSync(path, "utf8");
    } catch {
      current = undefined;
    }
    if (current !== text) stale.push(path.slice(root.length));
  }
  return stale;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes("--check")) {
    const stale = await staleFiles();
    if (stale.length > 0) {
      console.error(`generated files are stale (run npm run generate): ${stale.join(", ")}`);
      process.exit(1);
    }
  } else {
    for (const [path, text] of await generatedFiles()) {
      writeFileSync(path, text);
      console.log(`wrote ${path.slice(root.length)}`);
    }
  }
}
