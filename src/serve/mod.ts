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
export type { DetachedServeOptions, DetachedServeOutcome } from "./serve_detach.ts";
export {
  journalCommand,
  processStart,
  type ServedRecord,
  servedRecordJson,
} from "./served_record.ts";
export type { ServedLookup } from "./served_lookup.ts";
export {
  exposureWarning,
  type ListenAddress,
  type ServedListen,
  servedListen,
} from "./served_listen.ts";
export { notifyServiceManager } from "./systemd_notify.ts";

// Loaded on first use: a serve in the foreground needs none of them.
import type * as Detach from "./serve_detach.ts";
import type * as Lookup from "./served_lookup.ts";
import type * as Stop from "./stop_served.ts";

/** Serves in the background: see `serve_detach.ts`. */
export const serveDetached: typeof Detach.serveDetached = async (options) =>
  (await import("./serve_detach.ts")).serveDetached(options);
/** Finds a gateway served on this machine: see `served_lookup.ts`. */
export const findServed: typeof Lookup.findServed = async (...args) =>
  (await import("./served_lookup.ts")).findServed(...args);
/** The caller's served gateways: see `served_lookup.ts`. */
export const listServed: typeof Lookup.listServed = async (...args) =>
  (await import("./served_lookup.ts")).listServed(...args);
/** Stops a served gateway through its launcher: see `stop_served.ts`. */
export const stopServedGateway: typeof Stop.stopServedGateway = async (...args) =>
  (await import("./stop_served.ts")).stopServedGateway(...args);
