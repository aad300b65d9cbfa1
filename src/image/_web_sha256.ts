/**
 * The lowercase hex sha256 of `bytes` by Web Crypto: no hash module to load on serve's
 * start-up path.
 *
 * @example
 * ```ts
 * import { webSha256Hex } from "./_web_sha256.ts";
 * await webSha256Hex(new Uint8Array()); // "e3b0c442…b855"
 * ```
 */
export async function webSha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
