import { z } from "zod";

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "expected a lowercase hex sha256");
const mode = z.number().int().min(0).max(0o777);

/** One entry of the image as the manifest records it. */
export const ManifestEntrySchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("file"),
    path: z.string(),
    mode,
    size: z.number().int().min(0),
    sha256,
  }),
  z.object({ type: z.literal("directory"), path: z.string(), mode }),
  z.object({ type: z.literal("symlink"), path: z.string(), mode, target: z.string() }),
]);

/** One entry of the image as the manifest records it. */
export type ManifestEntry = z.infer<typeof ManifestEntrySchema>;

/**
 * The manifest written beside the rootfs tarball: what the tarball must be (digest, size)
 * and what it must contain, entry by entry. Extraction checks every entry against it.
 */
export const ManifestSchema = z.object({
  format: z.literal(1),
  tarball: z.object({
    /** sha256 of the compressed tarball: the image digest and cache key. */
    sha256,
    /** Bytes of the compressed tarball. */
    size: z.number().int().min(0),
    /** Bytes of the uncompressed tar stream (a bound for decompression). */
    archiveSize: z.number().int().min(0),
  }),
  /** Number of entries (files, directories, symlinks) in the tarball. */
  fileCount: z.number().int().min(0),
  /** Total bytes of regular file content. */
  contentSize: z.number().int().min(0),
  /** sha256 over everything the build read, to tell whether a rebuild is needed. */
  inputs: sha256,
  files: z.array(ManifestEntrySchema),
});

/** The parsed manifest. */
export type Manifest = z.infer<typeof ManifestSchema>;

/**
 * Parses manifest JSON text.
 *
 * @throws {SyntaxError} naming `source` and the offending field when the text is not a valid
 * manifest.
 */
export function parseManifest(text: string, source: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(`Cannot parse manifest "${source}": ${(error as Error).message}`);
  }
  const result = ManifestSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.join(".") || "(top level)";
    throw new SyntaxError(`Cannot parse manifest "${source}": ${where}: ${issue?.message}`);
  }
  return result.data;
}

/** The manifest as stable, pretty JSON text (the build writes exactly this). */
export function formatManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
