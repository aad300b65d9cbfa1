/**
 * The `openshell` command line: `runCli` reads the arguments against the command tree and
 * runs the command; the output helpers are shared with the serve use case.
 *
 * @module
 */
export { nameArgument } from "./gateway_context.ts";
export { runCli } from "./main.ts";
export { printMessage, printWarning, reportFailure } from "./output.ts";
export { printVersion, versionRequest } from "./version_report.ts";
