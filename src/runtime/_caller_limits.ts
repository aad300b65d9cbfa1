import type { HardLimits, RlimitType } from "../container/mod.ts";

const NAMES: Record<string, RlimitType> = {
  "Max open files": "RLIMIT_NOFILE",
  "Max core file size": "RLIMIT_CORE",
};

/**
 * Reads the hard limits out of a `/proc/<pid>/limits` table; `unlimited` is `Infinity`.
 *
 * @throws {SyntaxError} when a known row cannot be parsed.
 * @example
 * ```ts
 * import { parseHardLimits } from "./_caller_limits.ts";
 * parseHardLimits("Max open files            1024      20000     files\n");
 * // { RLIMIT_NOFILE: 20000 }
 * ```
 */
export function parseHardLimits(table: string): HardLimits {
  const limits: HardLimits = {};
  for (const line of table.split("\n")) {
    const name = Object.keys(NAMES).find((n) => line.startsWith(n + " "));
    if (name === undefined) continue;
    const fields = line.slice(name.length).trim().split(/\s+/);
    const hard = fields[1];
    const value = hard === "unlimited" ? Infinity : /^\d+$/.test(hard ?? "") ? Number(hard) : NaN;
    if (Number.isNaN(value)) throw new SyntaxError(`Cannot parse limit "${line.trim()}"`);
    limits[NAMES[name]!] = value;
  }
  return limits;
}

/** The launching process's own hard limits, from `/proc/self/limits`. */
export function readCallerHardLimits(): HardLimits {
  return parseHardLimits(Deno.readTextFileSync("/proc/self/limits"));
}
