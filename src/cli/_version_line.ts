/**
 * The program's one version line, `openshell 0.1.0`, as NVIDIA OpenShell's CLI prints it for
 * `--version`. It imports only the version and the stdio writer, so `openshell --version`
 * prints it before the command tree loads.
 *
 * @module
 */
import denoJson from "../../deno.json" with { type: "json" };
import { CLOSED_PIPE_STATUS, writeStdio } from "./_write_stdio.ts";

/** The program's name and version: `openshell 0.1.0`. */
export const VERSION_LINE = `openshell ${denoJson.version}`;

/**
 * Prints {@linkcode VERSION_LINE} and returns the exit status: 0, or 141 when the reader of
 * stdout has gone away.
 */
export function printVersionLine(): number {
  try {
    writeStdio("stdout", `${VERSION_LINE}\n`);
    return 0;
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe) return CLOSED_PIPE_STATUS;
    throw error;
  }
}
