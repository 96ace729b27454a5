// The esbuild settings shared by every bundle this repo ships (the operator's image, the CLI's
// single executable): one tree-shaken file per entry, for Node 24, with every dependency inlined.
import { type BuildOptions, build, type Metafile } from "esbuild";

/**
 * An ESM bundle has no `require`: CommonJS dependencies inlined into it (their `require` of
 * Node's built-ins and optional packages) get one from this banner, in every output file.
 */
const esmRequireBanner =
  'import { createRequire as __bundleCreateRequire } from "node:module";\n' +
  "const require = __bundleCreateRequire(import.meta.url);";

export interface BundleRequest {
  entryPoint: string;
  /** ESM: `outdir` gets `<entry>.mjs` plus a chunk per dynamic import; CJS: one file at `outfile`. */
  format: "esm" | "cjs";
  /** The directory (ESM) or file (CJS) written. */
  out: string;
  /** Identifiers replaced by JSON values at build time (esbuild's `define`). */
  define?: Record<string, unknown>;
}

/**
 * Bundles `entryPoint` for Node 24 and resolves with esbuild's metafile (what went in, and how
 * big). Rejects with esbuild's errors when the bundle cannot be built; warnings are printed.
 */
export async function bundle(request: BundleRequest): Promise<Metafile> {
  const esm = request.format === "esm";
  const options: BuildOptions = {
    entryPoints: [request.entryPoint],
    bundle: true,
    platform: "node",
    target: "node24",
    format: request.format,
    ...(esm
      ? {
          outdir: request.out,
          splitting: true,
          outExtension: { ".js": ".mjs" },
          chunkNames: "chunks/[name]-[hash]",
          banner: { js: esmRequireBanner },
        }
      : { outfile: request.out }),
    define: Object.fromEntries(
      Object.entries(request.define ?? {}).map(([name, value]) => [name, JSON.stringify(value)]),
    ),
    // V8 holds a module's source for as long as it may compile its functions: minified whitespace
    // and syntax (names kept, so stack traces still name functions) take 11 MB off the RSS.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "none",
    metafile: true,
    logLevel: "warning",
  };
  const { metafile } = await build(options);
  if (!metafile) throw new Error("esbuild returned no metafile");
  return metafile;
}
