/**
 * The CLI's only access to the terminal: data goes to stdout, messages to stderr, colour
 * only on a terminal and never with `NO_COLOR`. Messages quote names and text from files,
 * so control characters in them are replaced and every line is capped.
 *
 * @module
 */
import { asFileUserError } from "../errors/mod.ts";
import { sanitize, sanitizeLines } from "../errors/mod.ts";
import { UserError } from "../errors/mod.ts";
import { CLOSED_PIPE_STATUS, writeStdio } from "./_write_stdio.ts";

/** Writes data (with a trailing newline) to stdout, control characters replaced. */
export function printData(text: string): void {
  const lines = sanitizeLines(text);
  writeStdio("stdout", lines.endsWith("\n") ? lines : `${lines}\n`);
}

/** A piece of a data line, painted in `style` when stdout takes colour. */
export interface StyledText {
  text: string;
  style?: keyof typeof CODES;
}

/**
 * Writes data lines made of pieces: each piece's control characters are replaced before it
 * is painted, so colour survives and text from files still cannot drive the terminal.
 *
 * @example
 * ```ts
 * printStyledData([[{ text: "ok", style: "green" }, { text: "  runtime youki" }]]);
 * ```
 */
export function printStyledData(lines: readonly (readonly StyledText[])[]): void {
  const text = lines.map((pieces) =>
    pieces.map(({ text, style }) =>
      style === undefined ? sanitize(text) : paint(style, sanitize(text), "stdout")
    ).join("")
  );
  writeStdio("stdout", `${text.join("\n")}\n`);
}

/** The longest message line written: far above any real one, far below a flood. */
const MAX_MESSAGE_LINE = 8192;

/** Writes a human message line to stderr. */
export function printMessage(text: string): void {
  writeStdio("stderr", `${printableLines(text)}\n`);
}

/** Writes `warning: <text>` to stderr. */
export function printWarning(text: string): void {
  writeStdio("stderr", `${paint("yellow", "warning:", "stderr")} ${printableLines(text)}\n`);
}

/** Writes `error: <text>` to stderr. */
export function printError(text: string): void {
  writeStdio("stderr", `${paint("red", "error:", "stderr")} ${printableLines(text)}\n`);
}

/**
 * Reports a failed command and returns its exit status. A UserError, or a failed file
 * operation (a full disk, a read-only filesystem, ...), is one `error:` line and its hint;
 * anything else is a bug, with its stack only when `OPENSHELL_DEBUG` is set.
 */
export function reportFailure(caught: unknown): number {
  // The reader went away: there is nobody to tell, and the shell expects SIGPIPE's status.
  if (caught instanceof Deno.errors.BrokenPipe) return CLOSED_PIPE_STATUS;
  const error = asFileUserError(caught) ?? caught;
  if (error instanceof UserError) {
    printError(error.message);
    if (error.hint) printHint(error.hint);
    return error.exitCode;
  }
  printError(error instanceof Error ? error.message : String(error));
  if (Deno.env.get("OPENSHELL_DEBUG") && error instanceof Error) printMessage(error.stack ?? "");
  else printMessage("hint: this is a bug in openshell; rerun with OPENSHELL_DEBUG=1 for details");
  return 1;
}

function printableLines(text: string): string {
  return text.split("\n").map((line) =>
    sanitize(line.length > MAX_MESSAGE_LINE ? `${line.slice(0, MAX_MESSAGE_LINE)}…` : line)
  ).join("\n");
}

/** Whether colour may be used on `stream`: a terminal, and `NO_COLOR` unset or empty. */
export function colorEnabled(stream: "stdout" | "stderr"): boolean {
  if (Deno.env.get("NO_COLOR")) return false;
  return (stream === "stdout" ? Deno.stdout : Deno.stderr).isTerminal();
}

const CODES = { red: 31, green: 32, yellow: 33, bold: 1, dim: 2 } as const;

/** Wraps `text` in an ANSI style when colour is enabled on `stream`. */
export function paint(style: keyof typeof CODES, text: string, stream: "stdout" | "stderr") {
  return colorEnabled(stream) ? `\x1b[${CODES[style]}m${text}\x1b[0m` : text;
}

/** Whether stdin and stdout are both terminals, i.e. the user can answer a prompt. */
export function interactive(): boolean {
  return Deno.stdin.isTerminal() && Deno.stdout.isTerminal();
}

/**
 * A `hint:` line, written one way: the hint starts in lower case (`hint: run ...`).
 *
 * @example
 * ```ts
 * hintLine("Run `openshell gateway list`"); // "hint: run `openshell gateway list`"
 * ```
 */
export function hintLine(hint: string): string {
  return `hint: ${hint.replace(/^[A-Z](?![A-Z_])/, (c) => c.toLowerCase())}`;
}

/** Writes {@linkcode hintLine} to stderr. */
export function printHint(hint: string): void {
  printMessage(hintLine(hint));
}
