/**
 * A fresh container ID for one launch of gateway `name`: `openshell-<name>-<8 hex>`. Only
 * `[A-Za-z0-9_+.-]` is allowed in IDs; other characters of the name become `-`.
 *
 * @example
 * ```ts
 * import { newContainerId } from "./_container_id.ts";
 * newContainerId("local"); // "openshell-local-3f9a0c1e"
 * ```
 */
export function newContainerId(name: string, random: () => Uint8Array = randomBytes): string {
  const suffix = Array.from(random(), (b) => b.toString(16).padStart(2, "0")).join("");
  return `openshell-${name.replace(/[^A-Za-z0-9_+.-]/g, "-")}-${suffix}`;
}

function randomBytes(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(4));
}
