import { join } from "node:path";
import { atomicWriteFile } from "../files/mod.ts";

/** The file under the state dir that counts gateway starts. */
export const START_COUNTER_FILE = "gateway_state.json";

/**
 * Increments the start counter kept in `stateDir` and returns the new count (1 on the first
 * start). A missing file counts as zero starts; an unreadable one is reported through
 * `onCorrupt` and counts as zero. The file is replaced atomically.
 *
 * @example
 * ```ts
 * import { incrementStartCounter } from "./_start_counter.ts";
 * await incrementStartCounter("/var/lib/openshell"); // 1, then 2 on the next start
 * ```
 */
export async function incrementStartCounter(
  stateDir: string,
  onCorrupt: (reason: string) => void = () => {},
): Promise<number> {
  const path = join(stateDir, START_COUNTER_FILE);
  let previous = 0;
  try {
    const parsed: unknown = JSON.parse(await Deno.readTextFile(path));
    const starts = (parsed as { starts?: unknown } | null)?.starts;
    if (typeof starts === "number" && Number.isSafeInteger(starts) && starts >= 0) {
      previous = starts;
    } else onCorrupt(`Field "starts" is not a count in "${path}"`);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      if (error instanceof SyntaxError) onCorrupt(`Cannot parse "${path}": ${error.message}`);
      else throw error;
    }
  }
  const starts = previous + 1;
  await atomicWriteFile(path, JSON.stringify({ starts }) + "\n", { mode: 0o600 });
  return starts;
}
