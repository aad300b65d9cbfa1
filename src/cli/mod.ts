/**
 * TODO-DOC cli
 *
 * @module
 */
export { nameArgument } from "./gateway_context.ts";
export { runCli } from "./main.ts";
export { printMessage, printWarning, reportFailure } from "./output.ts";
export { runServeCommand } from "./serve_command.ts";
export { printVersion, versionRequest } from "./version_report.ts";
