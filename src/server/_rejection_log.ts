/**
 * Rejections (wrong token, unknown path, malformed request, closed idle connection) are
 * caused by whoever can reach the port, so their rate must not set the size of the log: the
 * first of each interval is written in full, the rest counted and written as one summary
 * line when the interval ends.
 *
 * @module
 */
import type { LogFields } from "./_gateway_log.ts";

/** Writes one log line. */
export type LogWriter = (level: "info" | "warn", msg: string, fields: LogFields) => void;

/** The longest request path a log line quotes. */
export const MAX_LOGGED_PATH = 256;

/** What {@linkcode createRejectionLog} returns. */
export interface RejectionLog {
  /**
   * Records one rejection. `reason` groups the summary (a status code, `idle timeout`, ...);
   * the fields are written only when this is the first of its interval.
   */
  record(level: "info" | "warn", msg: string, reason: string, fields: LogFields): void;
  /** Writes the summary of what is counted now (on shutdown). */
  flush(): void;
}

/**
 * Builds a rejection log writing through `write`, summarising every `intervalMs`.
 *
 * @example
 * ```ts
 * import { createRejectionLog } from "./_rejection_log.ts";
 * const rejections = createRejectionLog(
 *   (level, msg, fields) => console.log(JSON.stringify({ level, msg, ...fields })),
 *   10_000,
 * );
 * rejections.record("info", "Request", "401", { path: "/v1/info", status: 401 });
 * ```
 */
export function createRejectionLog(
  write: LogWriter,
  intervalMs: number,
  now: () => number = Date.now,
): RejectionLog {
  let windowEnd = -Infinity;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const counted = new Map<string, number>();
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (counted.size === 0) return;
    const total = [...counted.values()].reduce((sum, n) => sum + n, 0);
    const reasons = [...counted].map(([reason, n]) => `${reason}: ${n}`).join(", ");
    counted.clear();
    write("warn", "Rejections not logged one by one", {
      count: total,
      reasons,
      interval_seconds: intervalMs / 1000,
    });
  };
  return {
    record(level, msg, reason, fields) {
      const time = now();
      if (time < windowEnd) {
        counted.set(reason, (counted.get(reason) ?? 0) + 1);
        if (timer === undefined) {
          timer = setTimeout(flush, Math.max(0, windowEnd - time));
          Deno.unrefTimer(timer);
        }
        return;
      }
      flush();
      windowEnd = time + intervalMs;
      const path = fields.path;
      write(level, msg, {
        ...fields,
        ...(typeof path === "string" && path.length > MAX_LOGGED_PATH
          ? { path: `${path.slice(0, MAX_LOGGED_PATH)}...` }
          : {}),
      });
    },
    flush,
  };
}
