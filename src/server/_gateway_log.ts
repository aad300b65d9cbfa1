const encoder = new TextEncoder();

/** One structured log line: a message plus flat fields. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/**
 * Formats one JSON log line: `time`, `level` and `msg` first, then the fields (undefined
 * fields are left out).
 *
 * @example
 * ```ts
 * import { formatLogLine } from "./_gateway_log.ts";
 * formatLogLine(new Date(0), "info", "listening", { port: 8090 });
 * // '{"time":"1970-01-01T00:00:00.000Z","level":"info","msg":"listening","port":8090}\n'
 * ```
 */
export function formatLogLine(
  time: Date,
  level: "info" | "warn" | "error",
  msg: string,
  fields: LogFields = {},
): string {
  return JSON.stringify({ time: time.toISOString(), level, msg, ...fields }) + "\n";
}

/** Lines that could not be written since the last one that could, and why. */
let dropped = { lines: 0, reason: "" };

/**
 * Writes one JSON log line to stdout. A line that cannot be written (a full disk, a closed
 * pipe) is dropped, never the service: the count is written first once writing works again.
 */
export function log(level: "info" | "warn" | "error", msg: string, fields: LogFields = {}): void {
  const now = new Date();
  let text = formatLogLine(now, level, msg, fields);
  if (dropped.lines > 0) {
    text = formatLogLine(now, "warn", "Log lines dropped", {
      count: dropped.lines,
      reason: dropped.reason,
    }) + text;
  }
  const bytes = encoder.encode(text);
  let written = 0;
  try {
    while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
    dropped = { lines: 0, reason: "" };
  } catch (error) {
    // A line cut short counts as dropped too.
    dropped = { lines: dropped.lines + 1, reason: (error as Error).message };
  }
}
