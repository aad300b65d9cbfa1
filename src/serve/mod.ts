/**
 * The serve use case: run the packaged gateway under an OCI runtime until it is stopped,
 * registered once it answers (`serveGateway`), or launch it in the background
 * (`serveDetached`); what a running serve leaves for other commands (its record, its log)
 * and how they stop it. Nothing here prints: progress, warnings and the ready gateway are
 * told to the caller, which renders them.
 *
 * @example
 * ```ts
 * import { SERVE_DEFAULTS, serveGateway } from "./mod.ts";
 * const ended = await serveGateway({ ...SERVE_DEFAULTS, name: "dev" }, {
 *   progress: (text) => console.error(text),
 *   warning: (text) => console.error(`warning: ${text}`),
 *   ready: ({ name, url }) => console.error(`${name} answers at ${url}`),
 * });
 * ```
 *
 * @module
 */
export { followLog, gatewayLogPath, openDetachedLog, openLog } from "./gateway_log_file.ts";
export {
  readListen,
  type ServeEvents,
  serveGateway,
  serveLimits,
  type ServeOutcome,
} from "./serve_action.ts";
export {
  SERVE_AUTH_MODES,
  SERVE_DEFAULTS,
  type ServeAuth,
  type ServeOptions,
} from "./serve_args.ts";
export {
  type DetachedServeOptions,
  type DetachedServeOutcome,
  serveDetached,
} from "./serve_detach.ts";
export {
  journalCommand,
  processStart,
  type ServedRecord,
  servedRecordJson,
} from "./served_record.ts";
export { findServed, listServed, type ServedLookup } from "./served_lookup.ts";
export { stopServedGateway } from "./stop_served.ts";
export {
  exposureWarning,
  type ListenAddress,
  type ServedListen,
  servedListen,
} from "./served_listen.ts";
export { notifyServiceManager } from "./systemd_notify.ts";
