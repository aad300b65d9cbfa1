/**
 * The `openshell` command line: turns arguments into calls on the other folders and their
 * results into text, tables, JSON or YAML (data on stdout, messages on stderr); a user error
 * is one `error:` line and a hint with exit status 1, a usage error exits with 2.
 *
 * @example
 * ```ts
 * import { runCli } from "./mod.ts";
 * Deno.exit(await runCli(["gateway", "list", "-o", "json"]));
 * ```
 *
 * @module
 */
export { runCli } from "./main.ts";
