/**
 * The order of paths in the image: its tarball, its manifest and exported layers list entries
 * in it. Apart from `pack_image.ts` so that ordering does not load the packer's gzip.
 *
 * @module
 */

/** Orders paths component by component, so a directory precedes everything inside it. */
export function compareBytes(a: string, b: string): number {
  const left = a.split("/");
  const right = b.split("/");
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    if (left[i] !== right[i]) return left[i]! < right[i]! ? -1 : 1;
  }
  return left.length - right.length;
}
