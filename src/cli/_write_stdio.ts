/**
 * The CLI's one way to write bytes to stdout or stderr. A reader that went away
 * (`openshell --help | head -1`) raises `Deno.errors.BrokenPipe` like any failure, so that
 * whatever is under way (a launch) is cleaned up on the way out; the reporter then ends the
 * program quietly with status 141, as a shell tool killed by SIGPIPE would.
 * With it, the program's one version line, `openshell 0.1.0`, as NVIDIA OpenShell's CLI prints
 * it for `--version`: this file imports only the version, so `openshell --version` prints its
 * line before the command tree loads.
 *
 * @module
 */
import denoJson from "../../deno.json" with { type: "json" };

const encoder = new TextEncoder();

/** The exit status of a shell tool whose output pipe closed: 128 + SIGPIPE. */
export const CLOSED_PIPE_STATUS = 141;

let stderrSink: ((bytes: Uint8Array) => void) | undefined;

/**
 * Sends the messages meant for stderr to `sink` instead (a detached launcher's log), or
 * to stderr again when `undefined`.
 */
export function redirectStderr(sink: ((bytes: Uint8Array) => void) | undefined): void {
  stderrSink = sink;
}

/**
 * Writes all of `text` to `stream`.
 *
 * @throws {Deno.errors.BrokenPipe} when the reader has gone away (reported with
 * {@linkcode CLOSED_PIPE_STATUS}).
 *
 * @example
 * ```ts
 * writeStdio("stdout", "openshell 0.1.0\n");
 * ```
 */
export function writeStdio(stream: "stdout" | "stderr", text: string): void {
  const bytes = encoder.encode(text);
  if (stream === "stderr" && stderrSink !== undefined) return stderrSink(bytes);
  const file = stream === "stdout" ? Deno.stdout : Deno.stderr;
  let written = 0;
  while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
}

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
