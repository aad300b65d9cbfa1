/**
 * TODO-DOC serve
 *
 * @module
 */
export { followLog, gatewayLogPath, readLogTail, rotatedLogPath } from "./gateway_log_file.ts";
export { serve } from "./serve_action.ts";
export { SERVE_DEFAULTS, type ServeOptions } from "./serve_args.ts";
export { serveDetached } from "./serve_detach.ts";
export { processStart, readServedRecord, type ServedRecord } from "./served_record.ts";
export { stopServedGateway } from "./stop_served.ts";
