// Small OCI images written by hand, for the tests' registries and the node: one layer of the given
// files, a config with an entrypoint and user, in an OCI image layout that crane can push and
// containerd can import (as a tar of the layout).
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

export interface ImageFile {
  /** Path inside the image, without a leading slash. */
  path: string;
  content: Buffer;
  /** Unix permission bits (default 0o644). */
  mode?: number;
  uid?: number;
}

export interface ImageSpec {
  files: ImageFile[];
  entrypoint?: string[];
  /** "uid:gid" */
  user?: string;
}

/**
 * Writes an OCI image layout at `dir` holding one linux/amd64 image tagged `ref` and returns its
 * manifest digest. `ref` becomes both the OCI ref name and containerd's image name annotation.
 */
export function writeOciLayout(dir: string, ref: string, image: ImageSpec): string {
  const blobs = join(dir, "blobs", "sha256");
  mkdirSync(blobs, { recursive: true });
  const putBlob = (mediaType: string, content: Buffer) => {
    const hex = createHash("sha256").update(content).digest("hex");
    writeFileSync(join(blobs, hex), content);
    return { mediaType, digest: `sha256:${hex}`, size: content.length };
  };
  const tar = tarOf(image.files);
  const layer = putBlob("application/vnd.oci.image.layer.v1.tar+gzip", gzipSync(tar));
  const diffId = `sha256:${createHash("sha256").update(tar).digest("hex")}`;
  const config = putBlob(
    "application/vnd.oci.image.config.v1+json",
    Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        config: {
          ...(image.entrypoint ? { Entrypoint: image.entrypoint } : {}),
          ...(image.user ? { User: image.user } : {}),
        },
        rootfs: { type: "layers", diff_ids: [diffId] },
      }),
    ),
  );
  const manifest = putBlob(
    "application/vnd.oci.image.manifest.v1+json",
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config,
        layers: [layer],
      }),
    ),
  );
  writeFileSync(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          ...manifest,
          annotations: { "org.opencontainers.image.ref.name": ref, "io.containerd.image.name": ref },
        },
      ],
    }),
  );
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  return manifest.digest;
}

/** A ustar archive of regular files (their parent directories are implied). */
function tarOf(files: ImageFile[]): Buffer {
  const parts: Buffer[] = [];
  for (const file of files) {
    const header = Buffer.alloc(512);
    const field = (offset: number, length: number, value: string) =>
      header.write(value, offset, length, "ascii");
    const octal = (value: number, length: number) => `${value.toString(8).padStart(length - 1, "0")}\0`;
    field(0, 100, file.path);
    field(100, 8, octal(file.mode ?? 0o644, 8));
    field(108, 8, octal(file.uid ?? 0, 8));
    field(116, 8, octal(file.uid ?? 0, 8));
    field(124, 12, octal(file.content.length, 12));
    field(136, 12, octal(0, 12));
    field(148, 8, " ".repeat(8));
    field(156, 1, "0");
    field(257, 8, "ustar\x0000");
    const checksum = header.reduce((sum, byte) => sum + byte, 0);
    field(148, 8, `${checksum.toString(8).padStart(6, "0")}\0 `);
    parts.push(header, file.content, Buffer.alloc((512 - (file.content.length % 512)) % 512));
  }
  return Buffer.concat([...parts, Buffer.alloc(1024)]);
}
