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
import { printVersionLine } from "./_write_stdio.ts";

/**
 * Runs the CLI with `args` and returns the exit status: 0 success, 1 failure, 2 usage.
 * `openshell --version` (or `-V`) alone prints the version line before the command tree
 * loads; every other command line, `-V` among other arguments included, is parsed.
 */
export async function runCli(args: string[]): Promise<number> {
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
    return printVersionLine();
  }
  const { runCommandLine } = await import("./main.ts");
  return await runCommandLine(args);
}
