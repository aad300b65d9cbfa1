/**
 * The `serve` use case: run the packaged gateway from the embedded rootfs under an OCI
 * runtime, in the foreground or detached, register it in the user registry once it answers
 * and stop it on a signal; and what outlives a launch: the record of a served gateway, its
 * log file (rotated, read and followed) and stopping it from another process.
 *
 * @example
 * ```ts
 * import { runServeCli } from "./mod.ts";
 * Deno.exit(await runServeCli(["--name", "local", "--listen", "127.0.0.1:8090"]));
 * ```
 *
 * @module
 */
export { followLog, gatewayLogPath, readLogTail, rotatedLogPath } from "./gateway_log_file.ts";
export { runServeCli, serve } from "./serve_action.ts";
export { SERVE_DEFAULTS } from "./serve_args.ts";
export { serveDetached } from "./serve_detach.ts";
export { processStart, readServedRecord, type ServedRecord } from "./served_record.ts";
export { stopServedGateway } from "./stop_served.ts";
