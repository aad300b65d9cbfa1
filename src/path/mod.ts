/**
 * POSIX paths without `node:path`: the same names and results on Linux, at no start-up cost.
 *
 * @example
 * ```ts
 * import { dirname, join } from "./mod.ts";
 * join(dirname("/etc/openshell/active_gateway"), "gateways"); // "/etc/openshell/gateways"
 * ```
 *
 * @module
 */
export {
  basename,
  delimiter,
  dirname,
  fromFileUrl,
  isAbsolute,
  join,
  normalize,
  relative,
  resolve,
} from "./posix_path.ts";
