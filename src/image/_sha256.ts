import { createHash } from "node:crypto";

/** The lowercase hex sha256 of `data` (synchronous: no round trip per small file). */
export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
