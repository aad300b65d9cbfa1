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

/** Writes one JSON log line to stdout. */
export function log(level: "info" | "warn" | "error", msg: string, fields: LogFields = {}): void {
  const bytes = encoder.encode(formatLogLine(new Date(), level, msg, fields));
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}
